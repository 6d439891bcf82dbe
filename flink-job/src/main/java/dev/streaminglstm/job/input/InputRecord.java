package dev.streaminglstm.job.input;

import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.TextEvent;
import java.io.Serializable;
import java.util.Objects;

/**
 * One record read from the input topic: either a valid {@link TextEvent} or the {@link DeadLetter} that says why
 * the record was rejected, never both. Built with {@link #valid} or {@link #rejected}; it is a Flink POJO (public
 * no-argument constructor, getters and setters) so that Flink serializes it with its Avro fields' own serializers.
 */
public class InputRecord implements Serializable {

    private static final long serialVersionUID = 1L;

    private TextEvent event;
    private DeadLetter deadLetter;

    /** For Flink's POJO serializer only; use {@link #valid} or {@link #rejected}. */
    public InputRecord() {}

    /** A record that passed every check. */
    public static InputRecord valid(TextEvent event) {
        InputRecord record = new InputRecord();
        record.event = Objects.requireNonNull(event, "event");
        return record;
    }

    /** A record that was rejected, with its dead letter. */
    public static InputRecord rejected(DeadLetter deadLetter) {
        InputRecord record = new InputRecord();
        record.deadLetter = Objects.requireNonNull(deadLetter, "deadLetter");
        return record;
    }

    /** True when this holds a {@link TextEvent}, false when it holds a {@link DeadLetter}. */
    public boolean isValid() {
        return event != null;
    }

    /** The event, or null for a rejected record. */
    public TextEvent getEvent() {
        return event;
    }

    /** For Flink's POJO serializer only. */
    public void setEvent(TextEvent event) {
        this.event = event;
    }

    /** The dead letter, or null for a valid record. */
    public DeadLetter getDeadLetter() {
        return deadLetter;
    }

    /** For Flink's POJO serializer only. */
    public void setDeadLetter(DeadLetter deadLetter) {
        this.deadLetter = deadLetter;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputRecord other
                && Objects.equals(event, other.event)
                && Objects.equals(deadLetter, other.deadLetter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(event, deadLetter);
    }

    @Override
    public String toString() {
        return isValid() ? "InputRecord[valid " + event + "]" : "InputRecord[rejected " + deadLetter + "]";
    }
}
