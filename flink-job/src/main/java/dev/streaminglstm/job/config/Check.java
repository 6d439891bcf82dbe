package dev.streaminglstm.job.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** What a flag's value must be, declared on the flag's field and checked by {@link Flags#check} after parsing. */
final class Check {
    private Check() {}

    /** A whole number in {@code [min, max]}. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Range {
        long min();

        long max();
    }

    /** A number above 0 and at most {@code max}. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Positive {
        double max();
    }

    /** Text that is not blank. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface NotBlank {}

    /** A Kafka topic name. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Topic {}
}
