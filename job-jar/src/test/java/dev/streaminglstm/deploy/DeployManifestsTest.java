package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.config.provider.EnvVarConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The deployment files in {@code deploy/} against the job and the build, parsed as Kubernetes reads them (YAML) —
 * nothing here can run them: the FlinkDeployment's job args are flags the job accepts, with consistent parallelism;
 * its jar and entry class are the ones the image holds; state lives on S3 with the S3 plugin of the build's Flink
 * version; credentials come from Secrets only; every image is pinned; the topic Job creates the job's topics; the
 * kustomizations name files that exist.
 */
class DeployManifestsTest {

    private static final Path DEPLOY = Path.of(System.getProperty("deploy.dir"));
    private static final String FLINK_VERSION = System.getProperty("flink.version");
    /**
     * Images of public repositories must name a full release, x.y.z (as flink-job's DockerComposeFileTest requires of
     * docker-compose.yml): 4.1.1, v3.7.3, 2.2.0-java17.
     */
    private static final Pattern RELEASE_TAG = Pattern.compile("v?\\d+\\.\\d+\\.\\d+([-.][0-9A-Za-z._-]*)?");
    /** A Kafka client setting that holds a reference resolved by a config provider, never the value itself. */
    private static final Pattern PROVIDED_VALUE = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|secret|token|credential|key_id|"
            + "access_key|username).*");
    private static final Pattern OWN_IMAGE = Pattern.compile("registry\\.example\\.com/streaming-lstm/.*");

    private static List<Map<String, Object>> documents;
    private static Map<String, Object> flinkDeployment;
    private static JobConfig jobConfig;

    @BeforeAll
    static void readManifests() throws IOException {
        assertThat(FLINK_VERSION).as("flink.version from the build").isNotBlank();
        documents = new ArrayList<>();
        for (Path file : yamlFiles()) {
            for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file))) {
                if (document != null) {
                    documents.add(map(file + " document", document));
                }
            }
        }
        List<Map<String, Object>> deployments = documents.stream()
                .filter(d -> "FlinkDeployment".equals(d.get("kind"))).toList();
        assertThat(deployments).as("FlinkDeployments in deploy/k8s").hasSize(1);
        flinkDeployment = deployments.get(0);
        jobConfig = parseJobArgs(strings("spec.job.args", job().get("args")));
    }

    @Test
    void jobArgsAreFlagsTheJobAcceptsWithOneParallelism() {
        assertThat(jobConfig.training().parallelism()).as("--parallelism")
                .isEqualTo(jobConfig.inference().parallelism())
                .isEqualTo(job().get("parallelism"));
        assertThat(jobConfig.store().uri()).as("--store").startsWith("s3://");
    }

    @Test
    void jarAndEntryClassAreTheJobInTheImage() throws IOException {
        assertThat(job().get("entryClass")).isEqualTo(StreamingLstmJob.class.getName());
        String jarUri = (String) job().get("jarURI");
        assertThat(jarUri).startsWith("local:///opt/flink/usrlib/");
        assertThat(Files.readString(DEPLOY.resolve("Dockerfile")))
                .as("the Dockerfile puts the job jar where jarURI points")
                .containsPattern("(?m)^COPY .* " + Pattern.quote(jarUri.substring("local://".length())) + "$");
    }

    @Test
    void checkpointsSavepointsHighAvailabilityAndModelsLiveOnS3() {
        Map<String, Object> flink = map("spec.flinkConfiguration", spec().get("flinkConfiguration"));
        for (String key : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
                "high-availability.storageDir")) {
            assertThat(flink.get(key)).as(key).asString().startsWith("s3://");
        }
        assertThat(flink.get("high-availability.type")).isEqualTo("kubernetes");
        assertThat(job().get("upgradeMode")).isEqualTo("savepoint");
        assertThat(flink).as("flinkConfiguration: the job sets its own checkpoint interval")
                .doesNotContainKey("execution.checkpointing.interval");
    }

    @Test
    void s3PluginAndBaseImageAreOfTheBuildsFlinkVersion() throws IOException {
        assertThat(containerEnv().get("ENABLE_BUILT_IN_PLUGINS")).as("ENABLE_BUILT_IN_PLUGINS")
                .isIn("flink-s3-fs-hadoop-" + FLINK_VERSION + ".jar", "flink-s3-fs-presto-" + FLINK_VERSION + ".jar");
        List<String> flinkBases = fromImages().stream().filter(image -> image.startsWith("flink:")).toList();
        assertThat(flinkBases).as("FROM flink:... in the Dockerfile").hasSize(1);
        assertThat(flinkBases.get(0)).startsWith("flink:" + FLINK_VERSION + "-");
        assertThat(spec().get("flinkVersion")).isEqualTo("v" + FLINK_VERSION.replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2"));
    }

    /** The manifests ask for the Flink Kubernetes Operator release that deploy/README.md names for flinkVersion. */
    @Test
    void theManifestsNameTheOperatorReleaseOfTheReadme() throws IOException {
        Matcher readme = Pattern.compile("Flink Kubernetes Operator]\\([^)]*\\)\\s+"
                + "\\*\\*(\\d+\\.\\d+\\.\\d+) or later\\*\\*").matcher(Files.readString(DEPLOY.resolve("README.md")));
        assertThat(readme.find()).as("README.md: Flink Kubernetes Operator **x.y.z or later**").isTrue();
        for (String file : List.of("k8s/flink-deployment.yaml", "k8s/kustomization.yaml")) {
            String comments = Files.readString(DEPLOY.resolve(file)).replaceAll("\\s*\\n#\\s*", " ");
            Matcher named = Pattern.compile("Flink Kubernetes Operator (\\d+\\.\\d+\\.\\d+) or later").matcher(comments);
            assertThat(named.find()).as("%s names the operator release", file).isTrue();
            assertThat(named.group(1)).as("operator release in %s", file).isEqualTo(readme.group(1));
        }
    }

    @Test
    void credentialsComeFromSecretsOnly() throws IOException {
        Map<String, Object> flink = map("spec.flinkConfiguration", spec().get("flinkConfiguration"));
        assertThat(flink.keySet()).as("flinkConfiguration keys")
                .noneMatch(key -> key.contains("access-key") || key.contains("secret") || key.contains("password"));
        List<String> secrets = new ArrayList<>();
        for (Map<String, Object> document : documents) {
            collect(document, "env", value -> {
                for (Object item : list("env", value)) {
                    Map<String, Object> env = map("env item", item);
                    String name = (String) env.get("name");
                    if (SECRET_NAME.matcher(name).matches()) {
                        assertThat(env).as("env %s", name).doesNotContainKey("value");
                        Map<String, Object> ref = map(name + ".valueFrom.secretKeyRef",
                                map(name + ".valueFrom", env.get("valueFrom")).get("secretKeyRef"));
                        secrets.add(ref.get("name") + "/" + ref.get("key"));
                    }
                }
            });
        }
        assertThat(secrets).as("secret keys referenced").isNotEmpty();
        String readme = Files.readString(DEPLOY.resolve("README.md"));
        for (String secret : secrets) {
            String[] nameAndKey = secret.split("/");
            assertThat(readme).as("README explains how to create %s", secret)
                    .contains("create secret generic " + nameAndKey[0])
                    .contains("--from-literal=" + nameAndKey[1] + "=");
        }
    }

    /**
     * The job args name Kafka's SASL user and password only as {@code ${env:VARIABLE}}, which the Kafka clients
     * resolve themselves (EnvVarConfigProvider) from variables every pod gets from a Secret: the credentials never
     * enter the job graph, its checkpoints or the logs.
     */
    @Test
    void kafkaCredentialsInTheJobArgsAreEnvironmentReferencesToSecrets() {
        Map<String, String> kafka = jobConfig.kafka().clientProperties();
        assertThat(kafka).as("Kafka client properties of the job args")
                .containsEntry("config.providers", "env")
                .containsEntry("config.providers.env.class", EnvVarConfigProvider.class.getName());
        String jaas = kafka.get("sasl.jaas.config");
        assertThat(jaas).as("sasl.jaas.config in the job args").isNotNull();
        Map<String, String> credentials = new LinkedHashMap<>();
        Matcher option = Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(jaas);
        while (option.find()) {
            credentials.put(option.group(1), option.group(2));
        }
        assertThat(credentials).as("options of the JAAS login module").containsKeys("username", "password");
        Map<String, String> fromSecrets = secretEnvironment();
        credentials.forEach((name, value) -> {
            Matcher reference = PROVIDED_VALUE.matcher(value);
            assertThat(reference.matches()).as("JAAS option %s=\"%s\": an ${env:...} reference", name, value).isTrue();
            assertThat(fromSecrets).as("variables the pod template sets from Secrets, for %s", name)
                    .containsKey(reference.group(1));
        });
        kafka.forEach((key, value) -> {
            if (key.contains("password") || key.endsWith(".key")) {
                assertThat(value).as("Kafka property %s", key).matches(PROVIDED_VALUE);
            }
        });
    }

    @Test
    void everyImageIsPinned() throws IOException {
        List<String> images = new ArrayList<>(fromImages());
        for (Map<String, Object> document : documents) {
            collect(document, "image", value -> images.add((String) value));
        }
        assertThat(images).as("images").hasSizeGreaterThanOrEqualTo(4);
        for (String image : images) {
            String tag = tag(image);
            assertThat(tag).as("tag of %s", image).isNotEmpty().isNotEqualTo("latest");
            if (!OWN_IMAGE.matcher(image).matches()) {
                assertThat(tag).as("tag of %s: a full release", image).matches(RELEASE_TAG);
            }
        }
    }

    @Test
    void topicJobCreatesTheTopicsOfTheJobOnItsBrokers() {
        List<Map<String, Object>> jobs = documents.stream().filter(d -> "Job".equals(d.get("kind"))).toList();
        assertThat(jobs).as("Kubernetes Jobs in deploy/kafka").hasSize(1);
        List<Object> containers = list("containers", map("template.spec", map("template",
                map("spec", jobs.get(0).get("spec")).get("template")).get("spec")).get("containers"));
        List<String> args = strings("args", map("container", containers.get(0)).get("args"));
        assertThat(flagValue(args, "--bootstrap-server")).isEqualTo(jobConfig.kafka().bootstrapServers());
        assertThat(flagValue(args, "--input-topic")).isEqualTo(jobConfig.kafka().inputTopic());
        assertThat(flagValue(args, "--prediction-topic")).isEqualTo(jobConfig.kafka().predictionTopic());
        assertThat(flagValue(args, "--dead-letter-topic")).isEqualTo(jobConfig.kafka().deadLetterTopic());
    }

    @Test
    void kustomizationsNameFilesThatExist() throws IOException {
        for (String folder : List.of("k8s", "kafka")) {
            Path dir = DEPLOY.resolve(folder);
            Map<String, Object> kustomization = map(folder + "/kustomization.yaml",
                    new Load(LoadSettings.builder().build()).loadFromString(
                            Files.readString(dir.resolve("kustomization.yaml"))));
            List<String> named = new ArrayList<>();
            collect(kustomization, "resources", resources -> named.addAll(strings("resources", resources)));
            collect(kustomization, "files", files -> named.addAll(strings("files", files)));
            assertThat(named).as("files %s/kustomization.yaml names", folder).isNotEmpty()
                    .allSatisfy(name -> assertThat(dir.resolve(name)).isRegularFile());
        }
    }

    /** The job's flags as {@link StreamingLstmJob#main} reads them; fails naming the flag the job rejects. */
    private static JobConfig parseJobArgs(List<String> args) {
        try {
            return JobConfig.parse(args.toArray(String[]::new));
        } catch (ConfigException e) {
            return fail("the job rejects the FlinkDeployment's args: " + e.getMessage());
        }
    }

    /** Environment variables of the Flink container set from Secrets: name to secret/key. */
    private static Map<String, String> secretEnvironment() {
        Map<String, String> fromSecrets = new LinkedHashMap<>();
        for (Object item : list("env", mainContainer().get("env"))) {
            Map<String, Object> variable = map("env item", item);
            if (variable.get("valueFrom") instanceof Map<?, ?> valueFrom
                    && valueFrom.get("secretKeyRef") instanceof Map<?, ?> ref) {
                fromSecrets.put((String) variable.get("name"), ref.get("name") + "/" + ref.get("key"));
            }
        }
        return fromSecrets;
    }

    private static Map<String, Object> spec() {
        return map("spec", flinkDeployment.get("spec"));
    }

    private static Map<String, Object> job() {
        return map("spec.job", spec().get("job"));
    }

    private static Map<String, Object> mainContainer() {
        Map<String, Object> podSpec = map("podTemplate.spec", map("podTemplate", spec().get("podTemplate")).get("spec"));
        return list("containers", podSpec.get("containers")).stream()
                .map(c -> map("container", c))
                .filter(c -> "flink-main-container".equals(c.get("name")))
                .findFirst().orElseThrow(() -> new AssertionError("no flink-main-container in the pod template"));
    }

    private static Map<String, Object> containerEnv() {
        Map<String, Object> env = new LinkedHashMap<>();
        for (Object item : list("env", mainContainer().get("env"))) {
            Map<String, Object> variable = map("env item", item);
            env.put((String) variable.get("name"), variable.get("value"));
        }
        return env;
    }

    /** The images the Dockerfile's stages start FROM. */
    private static List<String> fromImages() throws IOException {
        Matcher from = Pattern.compile("(?m)^FROM\\s+(\\S+)").matcher(Files.readString(DEPLOY.resolve("Dockerfile")));
        List<String> images = new ArrayList<>();
        while (from.find()) {
            images.add(from.group(1));
        }
        assertThat(images).as("FROM lines of the Dockerfile").isNotEmpty()
                .noneMatch(image -> image.contains("$")); // pinned in the file, not by a build argument
        return images;
    }

    private static String tag(String image) {
        int slash = image.lastIndexOf('/');
        int colon = image.indexOf(':', slash + 1);
        return colon < 0 ? "" : image.substring(colon + 1);
    }

    private static String flagValue(List<String> args, String flag) {
        int at = args.indexOf(flag);
        assertThat(at).as("%s in %s", flag, args).isNotNegative().isLessThan(args.size() - 1);
        return args.get(at + 1);
    }

    /** Calls {@code action} with the value of every {@code key} anywhere in {@code node}. */
    private static void collect(Object node, String key, Consumer<Object> action) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (key.equals(k)) {
                    action.accept(v);
                }
                collect(v, key, action);
            });
        } else if (node instanceof List<?> l) {
            l.forEach(item -> collect(item, key, action));
        }
    }

    private static List<Path> yamlFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String folder : List.of("k8s", "kafka")) {
            try (Stream<Path> listing = Files.list(DEPLOY.resolve(folder))) {
                listing.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(files::add);
            }
        }
        assertThat(files).as("YAML files in deploy/k8s and deploy/kafka").isNotEmpty();
        return files;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(String what, Object value) {
        assertThat(value).as(what).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(String what, Object value) {
        assertThat(value).as(what).isInstanceOf(List.class);
        return (List<Object>) value;
    }

    /** A YAML list whose items must all be strings (Kubernetes rejects a number where a string belongs). */
    private static List<String> strings(String what, Object value) {
        List<String> strings = new ArrayList<>();
        for (Object item : list(what, value)) {
            assertThat(item).as("item %s of %s (quote numbers)", item, what).isInstanceOf(String.class);
            strings.add((String) item);
        }
        return strings;
    }
}
