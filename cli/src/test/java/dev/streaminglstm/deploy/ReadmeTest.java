package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.config.JobConfig;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * README.md against the code it describes, so that neither changes alone: its block of the job's flags is the job's
 * own usage text ({@link JobConfig#usage()}), and the table of its Metrics section names exactly the metrics the job's
 * operators register, with the names Prometheus shows them under.
 */
class ReadmeTest {

    private static final String README = JobSources.read(JobSources.REPOSITORY.resolve("README.md"));

    /** A fenced block of the README: the lines between a line of three backquotes and the next. */
    private static final Pattern FENCED_BLOCK = Pattern.compile("(?ms)^```[^\\n]*\\n(.*?)^```\\s*$");

    @Test
    void theJobFlagBlockIsTheJobsUsageText() {
        List<String> blocks = matches(FENCED_BLOCK, README).stream()
                .filter(block -> block.startsWith("Usage: streaming-lstm job ")).toList();
        assertThat(blocks).as("README blocks starting with the job's usage line").hasSize(1);

        assertThat(normalized(blocks.get(0))).as("the README's job flags; replace the block with JobConfig.usage()")
                .isEqualTo(normalized(JobConfig.usage()));
    }

    @Test
    void theMetricsSectionNamesExactlyTheMetricsTheJobRegisters() {
        // the table's rows: | operator (`name`) | `metric`, `metric` (note), ... |
        Matcher row = Pattern.compile("(?m)^\\|([^|]*)\\|([^|]*)\\|\\s*$").matcher(section("Metrics"));
        Set<String> listed = new TreeSet<>();
        int rows = 0;
        while (row.find()) {
            if (row.group(2).contains("`")) {
                listed.addAll(matches(Pattern.compile("`([A-Za-z]+)`"), row.group(2)));
                rows++;
            }
        }
        assertThat(rows).as("rows of the Metrics section's table").isPositive();

        assertThat(listed).as("metrics the README's Metrics section names, against those the operators register")
                .isEqualTo(JobSources.registeredMetricNames());
    }

    @Test
    void theMetricsSectionGivesThePrometheusNameOfAnOperatorMetric() {
        assertThat(section("Metrics")).as("the Metrics section")
                .contains("`" + JobSources.OPERATOR_METRIC_PREFIX + "<name>`");
    }

    /** The text of the README's {@code ## title} section, up to the next section of that level. */
    private static String section(String title) {
        Matcher m = Pattern.compile("(?ms)^## " + Pattern.quote(title) + "\\s*$(.*?)(?=^## |\\z)").matcher(README);
        assertThat(m.find()).as("a '## %s' section in README.md", title).isTrue();
        return m.group(1);
    }

    /** Lines without trailing white space, without trailing empty lines. */
    private static String normalized(String text) {
        return text.lines().map(String::stripTrailing).collect(Collectors.joining("\n")).stripTrailing();
    }

    private static List<String> matches(Pattern pattern, String text) {
        return pattern.matcher(text).results().map(result -> result.group(1)).toList();
    }
}
