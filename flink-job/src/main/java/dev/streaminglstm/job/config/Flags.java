package dev.streaminglstm.job.config;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;
import picocli.CommandLine;

/**
 * The machinery behind every settings group: parsing flags into a group's annotated fields, checking the
 * {@link Check} annotations beside them, and writing the fields back as flags. A flag is declared once, as a
 * field with {@code @Option} and its check; nothing else repeats it.
 */
final class Flags {
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private Flags() {}

    /** A group of flags that checks its own values once they are parsed. */
    interface Group {
        void check();
    }

    /** {@code group} with {@code args} parsed into it and checked. */
    static <G extends Group> G group(G group, String... args) {
        parse(group, args);
        group.check();
        return group;
    }

    /**
     * Parses {@code args} into {@code command} (a group, or the job's command holding groups as mixins).
     *
     * @throws ConfigException with one line naming the flag and what is wrong with it
     */
    static void parse(Object command, String... args) {
        try {
            commandLine(command).parseArgs(args);
        } catch (ParameterException e) {
            throw new ConfigException(describe(e, Arrays.asList(args)));
        }
    }

    /** A command line over {@code command}, with the project's converters. */
    static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        cl.registerConverter(Long.TYPE, Flags::wholeNumber);
        cl.registerConverter(Integer.TYPE, Flags::intNumber);
        cl.registerConverter(Double.TYPE, Flags::number);
        cl.registerConverter(Duration.class, Flags::duration);
        for (OptionSpec option : cl.getCommandSpec().options()) {
            if (option.type().isEnum()) {
                registerEnum(cl, option.type().asSubclass(Enum.class));
            }
        }
        return cl;
    }

    /**
     * Checks every {@link Check} annotation on the {@code @Option} fields of {@code group}, in declaration order.
     *
     * @throws ConfigException naming the first flag whose value is not allowed
     */
    static void check(Object group) {
        for (Field field : optionFields(group)) {
            String flag = name(field);
            Object value = read(field, group);
            Check.Range range = field.getAnnotation(Check.Range.class);
            if (range != null) {
                long v = ((Number) value).longValue();
                if (v < range.min() || v > range.max()) {
                    throw new ConfigException(flag + ": must be between " + range.min() + " and " + range.max()
                            + ", was " + v);
                }
            }
            Check.Positive positive = field.getAnnotation(Check.Positive.class);
            if (positive != null) {
                double v = ((Number) value).doubleValue();
                if (!(v > 0 && v <= positive.max())) {
                    throw new ConfigException(flag + ": must be above 0 and at most " + positive.max() + ", was " + v);
                }
            }
            if (field.isAnnotationPresent(Check.NotBlank.class) || field.isAnnotationPresent(Check.Topic.class)) {
                requireText(flag, (String) value);
            }
            if (field.isAnnotationPresent(Check.Topic.class)) {
                String topic = (String) value;
                if (!TOPIC_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
                    throw new ConfigException(flag + ": '" + topic
                            + "' is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)");
                }
            }
        }
    }

    /** The group's flags and values, in declaration order; repeated flags once per value, files left out. */
    static List<String> toArgs(Object group) {
        List<String> args = new ArrayList<>();
        for (Field field : optionFields(group)) {
            Object value = read(field, group);
            if (value instanceof List<?> values) {
                values.forEach(v -> args.addAll(List.of(name(field), v.toString())));
            } else if (value instanceof Duration d) {
                args.addAll(List.of(name(field), DurationFlag.format(d)));
            } else if (value instanceof Enum<?> e) {
                args.addAll(List.of(name(field), e.name()));
            } else if (value != null && !(value instanceof java.nio.file.Path)) {
                args.addAll(List.of(name(field), value.toString()));
            }
        }
        return args;
    }

    static void requireText(String flag, String value) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(flag + ": must not be blank");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void registerEnum(CommandLine cl, Class<? extends Enum> type) {
        cl.registerConverter((Class) type, text -> constant((Class) type, text));
    }

    /** Reads an enum constant case-insensitively; the error lists the choices. */
    static <E extends Enum<E>> E constant(Class<E> type, String text) {
        try {
            return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String choices = Arrays.stream(type.getEnumConstants()).map(Enum::name).collect(Collectors.joining(", "));
            throw new TypeConversionException("'" + text + "' is not one of " + choices);
        }
    }

    private static List<Field> optionFields(Object group) {
        List<Field> fields = new ArrayList<>();
        for (Field field : group.getClass().getDeclaredFields()) {
            if (field.isAnnotationPresent(Option.class)) {
                field.setAccessible(true);
                fields.add(field);
            }
        }
        return fields;
    }

    private static Object read(Field field, Object group) {
        try {
            return field.get(group);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read the flag field " + field, e);
        }
    }

    private static String name(Field field) {
        String[] names = field.getAnnotation(Option.class).names();
        return Arrays.stream(names).max((a, b) -> Integer.compare(a.length(), b.length())).orElseThrow();
    }

    private static String describe(ParameterException e, List<String> args) {
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().get(0);
            return first.startsWith("-")
                    ? flagName(first) + ": unknown flag"
                    : "'" + first + "': unexpected argument; every setting is a --flag";
        }
        if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()) {
            List<String> names = missing.getMissing().stream().map(Flags::name).toList();
            if (names.size() == 1 && args.stream().anyMatch(arg -> flagName(arg).equals(names.get(0)))) {
                return names.get(0) + ": needs a value";
            }
            return String.join(", ", names)
                    + (names.size() == 1 ? ": required flag is missing" : ": required flags are missing");
        }
        if (e instanceof OverwrittenOptionException overwritten) {
            return name(overwritten.getOverwritten()) + ": given more than once";
        }
        if (e.getCause() instanceof TypeConversionException conversion && e.getArgSpec() != null) {
            return name(e.getArgSpec()) + ": " + conversion.getMessage();
        }
        return e.getMessage().lines().findFirst().orElse("invalid flags");
    }

    private static String name(ArgSpec spec) {
        return spec instanceof OptionSpec option ? option.longestName() : spec.paramLabel();
    }

    private static String flagName(String arg) {
        int eq = arg.indexOf('=');
        return eq < 0 ? arg : arg.substring(0, eq);
    }

    private static long wholeNumber(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not a whole number");
        }
    }

    private static int intNumber(String text) {
        long value = wholeNumber(text);
        if (value != (int) value) {
            throw new TypeConversionException(value + " is out of range");
        }
        return (int) value;
    }

    private static double number(String text) {
        try {
            return Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not a number");
        }
    }

    private static Duration duration(String text) {
        Duration parsed = DurationFlag.parse(text);
        if (parsed == null) {
            throw new TypeConversionException("'" + text + "' is not a duration such as 500ms, 30s, 10min, 2h or 1d");
        }
        return parsed;
    }
}
