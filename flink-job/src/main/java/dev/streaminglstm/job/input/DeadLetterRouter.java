package dev.streaminglstm.job.input;

import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.TextEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Splits the input: valid {@link TextEvent}s go to the main output, {@link DeadLetter}s to the side output
 * {@link #DEAD_LETTERS}, each counted in the operator's metric counter {@value #DEAD_LETTER_METRIC}.
 */
public final class DeadLetterRouter extends ProcessFunction<InputRecord, TextEvent> {

    private static final long serialVersionUID = 1L;

    /** Name of the counter of records sent to {@link #DEAD_LETTERS}. */
    public static final String DEAD_LETTER_METRIC = "deadLetters";

    /** The side output of rejected records. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    private transient Counter deadLetters;

    @Override
    public void open(OpenContext openContext) {
        deadLetters = getRuntimeContext().getMetricGroup().counter(DEAD_LETTER_METRIC);
    }

    @Override
    public void processElement(InputRecord record, Context ctx, Collector<TextEvent> out) {
        if (record.isValid()) {
            out.collect(record.getEvent());
        } else {
            deadLetters.inc();
            ctx.output(DEAD_LETTERS, record.getDeadLetter());
        }
    }
}
