package dev.streaminglstm.deploy;

import static dev.streaminglstm.deploy.ComposeFile.asMap;
import static dev.streaminglstm.deploy.ComposeFile.flag;
import static dev.streaminglstm.deploy.ComposeFile.list;
import static dev.streaminglstm.deploy.ComposeFile.matches;
import static dev.streaminglstm.deploy.ComposeFile.read;
import static dev.streaminglstm.deploy.ComposeFile.readYaml;
import static dev.streaminglstm.deploy.ComposeFile.repository;
import static dev.streaminglstm.deploy.ComposeFile.strings;
import static dev.streaminglstm.deploy.ComposeFile.tag;
import static dev.streaminglstm.deploy.ComposeFile.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streaminglstm.cli.StoreOptions;
import dev.streaminglstm.cli.StreamingLstmCli;
import dev.streaminglstm.deploy.ComposeFile.Mount;
import dev.streaminglstm.deploy.ComposeFile.PublishedPort;
import dev.streaminglstm.deploy.ComposeFile.Role;
import dev.streaminglstm.job.config.JobConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Checks the docker compose sandbox, {@code docker-compose.yml} and {@code deploy/compose/}, without Docker (no
 * engine runs where the tests run): the file parses as compose reads it, every variable with a default; every image
 * is pinned or built from the repository's Dockerfile; {@code depends_on}, healthchecks, named volumes, published
 * ports and files mounted from the repository are consistent; the addresses services use (Kafka, the JobManager's
 * REST port, S3, the Prometheus reporter, Prometheus) are where the other services listen; the JobManager runs the
 * job in application mode from the image's jar, with flags {@link JobConfig#parse} accepts that name the topics that
 * get created; the command-line services use commands and flags the CLI has, and those that open the model store
 * have the object store's address and credentials; every Grafana panel queries a metric the job's operators
 * register.
 */
class DockerComposeFileTest {

    private static final Path REPOSITORY = JobSources.REPOSITORY;
    private static final Path JOB_SOURCES = JobSources.JOB_SOURCES;
    private static final Path DASHBOARD = REPOSITORY.resolve("deploy/compose/grafana/dashboards/streaming-lstm.json");

    /** Service keys this file may use, so that a typo such as {@code depend_on} is not silently ignored. */
    private static final Set<String> SERVICE_KEYS = Set.of("image", "build", "command", "entrypoint", "environment",
            "ports", "volumes", "depends_on", "healthcheck", "restart", "hostname", "labels", "networks", "user",
            "working_dir", "expose", "deploy", "stop_grace_period", "init", "profiles", "extra_hosts", "ulimits",
            "tmpfs", "pull_policy", "platform", "mem_limit", "cpus", "shm_size", "stdin_open", "tty", "logging");

    /**
     * A pinned tag names a full release, x.y.z (as job-jar's DeployManifestsTest requires): 4.1.1, v3.7.3,
     * 2.2.0-java17.
     */
    static final Pattern PINNED_TAG = Pattern.compile("v?\\d+\\.\\d+\\.\\d+([-.][0-9A-Za-z._-]*)?");

    /**
     * Images whose project numbers its releases with two parts, each with the pattern of a full release of it:
     * SeaweedFS releases are major.minor (3.97, 4.47), with no patch number to pin.
     */
    static final Map<String, Pattern> TWO_PART_RELEASES = Map.of("chrislusf/seaweedfs", Pattern.compile("\\d+\\.\\d+"));

    /** Commands of the CLI that open the model store (StoreOptions), and so need the object store's settings. */
    private static final Set<String> STORE_COMMANDS = Set.of("models", "sample", "eval", "report");

    /** Commands of the CLI that talk to Kafka. */
    private static final Set<String> KAFKA_COMMANDS = Set.of("produce", "tail");

    /** Prefix the Prometheus reporter gives the metrics registered on an operator's metric group. */
    private static final String OPERATOR_METRIC = JobSources.OPERATOR_METRIC_PREFIX;

    /** Flink's own job metrics the dashboard may show (Flink docs, Metrics: Checkpointing, Availability). */
    private static final Set<String> FLINK_JOB_METRICS = Set.of("flink_jobmanager_job_lastCheckpointDuration",
            "flink_jobmanager_job_numberOfCompletedCheckpoints", "flink_jobmanager_job_numberOfFailedCheckpoints",
            "flink_jobmanager_job_numRestarts");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** docker-compose.yml, read on first use: a malformed file fails each test with what is wrong with it. */
    private static ComposeFile compose;

    private static ComposeFile compose() {
        if (compose == null) {
            compose = ComposeFile.load(REPOSITORY);
        }
        return compose;
    }

    static Stream<String> services() {
        return List.copyOf(compose().services().keySet()).stream();
    }

    static Stream<String> kafkaClients() {
        return services().filter(name -> !kafkaAddressesUsedBy(name).isEmpty());
    }

    static Stream<String> cliServices() {
        return services().filter(name -> !cliArguments(name).isEmpty());
    }

    static Stream<Arguments> dashboardPanels() {
        List<Arguments> panels = new ArrayList<>();
        for (JsonNode panel : readJson(DASHBOARD).path("panels")) {
            panels.add(Arguments.of(panel.path("title").asText(), panel));
        }
        return panels.stream();
    }

    // ---------------------------------------------------------------------------------------------------- the file

    @Test
    void composeFileHasServicesAndOnlyKeysComposeKnows() {
        assertThat(compose().topLevel().keySet().stream().filter(key -> !key.startsWith("x-")))
                .as("top-level keys (the obsolete 'version' is not one)").isSubsetOf(ComposeFile.TOP_LEVEL_KEYS);
        assertThat(compose().services()).as("services").isNotEmpty();
        services().forEach(name -> assertThat(compose().service(name).keySet()).as("keys of service %s", name)
                .isSubsetOf(SERVICE_KEYS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void imageIsPinnedOrBuiltFromTheRepository(String name) {
        Map<String, Object> service = compose().service(name);
        assertThat(service.keySet()).as("keys of service %s", name).containsAnyOf("image", "build");
        if (service.containsKey("image")) {
            String image = compose().image(name);
            if (!image.contains("@sha256:")) {
                assertThat(tag(image)).as("tag of %s's image %s: a full release", name, image)
                        .matches(TWO_PART_RELEASES.getOrDefault(repository(image), PINNED_TAG));
            }
        }
        if (service.containsKey("build")) {
            assertThat(dockerfile(name)).as("%s's Dockerfile", name).isRegularFile();
        }
    }

    // -------------------------------------------------------------------------------------------------- start-up

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void serviceWaitsOnlyForServicesThatCanSayTheyAreReady(String name) {
        compose().dependencies(name).forEach((dependency, condition) -> {
            assertThat(compose().services()).as("%s depends on %s", name, dependency).containsKey(dependency);
            assertThat(dependency).as("%s depends on itself", name).isNotEqualTo(name);
            switch (condition) {
                case "service_started" -> { }
                case "service_healthy" -> assertThat(compose().service(dependency))
                        .as("%s waits for %s to be healthy, which has no healthcheck", name, dependency)
                        .containsKey("healthcheck");
                case "service_completed_successfully" -> assertThat(compose().restart(dependency))
                        .as("%s waits for %s to complete, which is not a one-shot (restart: \"no\")", name, dependency)
                        .isEqualTo("no");
                default -> fail("%s depends on %s with condition '%s', which compose does not know", name,
                        dependency, condition);
            }
        });
    }

    @Test
    void startUpOrderHasNoCycle() {
        Map<String, Boolean> finished = new HashMap<>(); // false while being visited
        services().forEach(name -> visit(name, finished, new ArrayDeque<>()));
        assertThat(finished).hasSameSizeAs(compose().services());
    }

    @Test
    void pinnedTagsAreFullReleases() {
        assertThat(List.of("4.1.1", "v3.7.3", "2.2.0-java17", "12.3.1")).allMatch(tag -> PINNED_TAG.matcher(tag)
                .matches());
        assertThat(List.of("4.1", "2.2-java17", "2", "latest", "v3", "java17")).noneMatch(tag -> PINNED_TAG
                .matcher(tag).matches());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void serversHaveAHealthcheckAndOneShotsDoNotRestart(String name) {
        String restart = compose().restart(name);
        switch (restart) {
            // a one-shot others wait for, or a command run on demand (docker compose run) from a profile
            case "no" -> assertThat(compose().dependents(name, "service_completed_successfully").isEmpty()
                    && !compose().service(name).containsKey("profiles"))
                    .as("%s: restart \"no\" but neither a one-shot others wait for nor in a profile", name).isFalse();
            case "unless-stopped", "always" -> {
                Object healthcheck = compose().service(name).get("healthcheck");
                List<String> test = strings(name + ".healthcheck.test", asMap(name + ".healthcheck", healthcheck)
                        .get("test"));
                assertThat(test).as("%s's healthcheck test", name).hasSizeGreaterThan(1);
                assertThat(test.get(0)).as("%s's healthcheck form", name).isIn("CMD", "CMD-SHELL");
            }
            // a client of the others (producer, predictions) ends on its own terms; nothing waits for it to be healthy
            case "on-failure" -> assertThat(compose().dependents(name, "service_healthy"))
                    .as("services waiting for client %s to be healthy", name).isEmpty();
            default -> fail("%s: restart '%s' (use \"no\" for one-shots, on-failure for clients, unless-stopped for "
                    + "servers)", name, restart);
        }
    }

    // ------------------------------------------------------------------------------------- volumes, files, ports

    @Test
    void namedVolumesAreDeclaredAndUsed() {
        Set<String> declared = compose().topLevel().containsKey("volumes")
                ? new TreeSet<>(asMap("volumes", compose().topLevel().get("volumes")).keySet()) : Set.of();
        Set<String> used = services().flatMap(name -> compose().mounts(name).stream())
                .filter(mount -> !mount.bind())
                .map(Mount::source)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(used).as("named volumes the services use, all declared").isSubsetOf(declared);
        assertThat(declared).as("declared volumes, all used").isSubsetOf(used);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void filesMountedFromTheRepositoryExistUnderDeployReadOnly(String name) {
        Set<String> targets = new HashSet<>();
        for (Mount mount : compose().mounts(name)) {
            assertThat(targets.add(mount.target())).as("%s mounts two things at %s", name, mount.target()).isTrue();
            if (mount.bind()) {
                Path source = compose().repositoryPath(name + " mount", mount.source());
                assertThat(source).as("%s mounts %s", name, mount.source()).exists()
                        .startsWith(REPOSITORY.resolve("deploy"));
                assertThat(mount.readOnly()).as("%s mounts %s read-only", name, mount.source()).isTrue();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void scriptsTheServiceRunsAreMountedIntoIt(String name) {
        List<String> run = new ArrayList<>(compose().entrypoint(name));
        run.addAll(compose().command(name));
        for (String word : run) {
            if (word.startsWith("/") && word.endsWith(".sh")) {
                Path script = compose().mountedFile(name, word);
                assertThat(script).as("%s runs %s", name, word).isRegularFile();
                assertThat(read(script).lines().findFirst()).as("interpreter line of %s", script)
                        .hasValueSatisfying(line -> assertThat(line).startsWith("#!").contains("bash"));
            }
        }
    }

    @Test
    void noTwoServicesPublishTheSameHostPort() {
        Map<Integer, String> publishers = new TreeMap<>();
        services().forEach(name -> compose().publishedPorts(name).forEach(port -> assertThat(
                publishers.put(port.host(), name)).as("another service publishing host port %d, as %s does",
                port.host(), name).isNull()));
        assertThat(publishers).as("published host ports").isNotEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void publishedPortsAreOnesTheServiceListensOn(String name) {
        Set<Integer> listening = listeningPorts(name);
        for (PublishedPort port : compose().publishedPorts(name)) {
            assertThat(listening).as("ports %s listens on, published as %s", name, port).contains(port.container());
        }
    }

    // ---------------------------------------------------------------------------------------------------- Kafka

    @Test
    void kafkaListenersAdvertisedAddressesAndControllerVotersAgree() {
        String kafka = compose().only(Role.KAFKA);
        Map<String, String> env = compose().environment(kafka);
        Map<String, URI> listeners = listeners(env.get("KAFKA_LISTENERS"));
        Map<String, URI> advertised = listeners(env.get("KAFKA_ADVERTISED_LISTENERS"));
        String interBroker = env.get("KAFKA_INTER_BROKER_LISTENER_NAME");
        String controller = env.get("KAFKA_CONTROLLER_LISTENER_NAMES");

        assertThat(listeners).containsKeys(interBroker, controller);
        assertThat(env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")).as("security protocol map")
                .contains(listeners.keySet().stream().map(listener -> listener + ":").toArray(String[]::new));
        advertised.forEach((listener, address) -> assertThat(address.getPort()).as("advertised %s port", listener)
                .isEqualTo(listeners.get(listener).getPort()));
        assertThat(advertised.get(interBroker).getHost()).as("host the broker advertises to containers")
                .isEqualTo(kafka);
        // a listener advertised as localhost:P is for clients on the host: P must be published as P
        advertised.forEach((listener, address) -> {
            if (address.getHost().equals("localhost")) {
                assertThat(compose().publishedPorts(kafka)).as("published ports of %s", kafka)
                        .contains(new PublishedPort(address.getPort(), listeners.get(listener).getPort()));
            }
        });
        assertThat(env.get("KAFKA_PROCESS_ROLES")).isEqualTo("broker,controller");
        assertThat(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS")).as("controller quorum voters of the single node")
                .isEqualTo(env.get("KAFKA_NODE_ID") + "@" + kafka + ":" + listeners.get(controller).getPort());
        assertThat(env).as("replication settings of a single broker")
                .containsKeys("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR");
        env.forEach((key, value) -> {
            if (key.endsWith("_REPLICATION_FACTOR") || key.endsWith("_MIN_ISR")) {
                assertThat(value).as(key).isEqualTo("1");
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kafkaClients")
    void kafkaClientsUseTheAddressTheBrokerAdvertisesToContainers(String name) {
        assertThat(kafkaAddressesUsedBy(name)).as("Kafka addresses %s uses", name)
                .containsOnly(internalKafkaAddress());
    }

    @Test
    void topicsServiceCreatesTheJobsTopicsOnTheSingleBrokerBeforeTheJobIsSubmitted() {
        JobConfig job = submittedJob();
        String topics = compose().only(Role.TOPICS);
        List<String> args = compose().command(topics); // deploy/kafka/create-topics.sh's flags
        assertThat(flag(args, "--input-topic")).as("input topic %s creates", topics).isEqualTo(job.kafka().inputTopic());
        assertThat(flag(args, "--prediction-topic")).as("prediction topic %s creates", topics)
                .isEqualTo(job.kafka().predictionTopic());
        assertThat(flag(args, "--dead-letter-topic")).as("dead-letter topic %s creates", topics)
                .isEqualTo(job.kafka().deadLetterTopic());
        assertThat(flag(args, "--replication-factor")).as("replicas on the one broker").isEqualTo("1");
        assertThat(flag(args, "--partitions")).as("partitions of the input and prediction topics").matches("[1-9]\\d*");
        assertThat(compose().mountedFile(topics, compose().entrypoint(topics).get(1))).as("script %s runs", topics)
                .isEqualTo(REPOSITORY.resolve("deploy/kafka/create-topics.sh"));
        assertThat(compose().dependencies(compose().only(Role.JOB_MANAGER))).as("what the job waits for")
                .containsEntry(topics, "service_completed_successfully");
    }

    // ---------------------------------------------------------------------------------------------------- Flink

    @Test
    void flinkProcessesShareOneConfiguration() {
        List<String> flink = compose().flinkServices();
        assertThat(flink).contains(compose().only(Role.JOB_MANAGER)).containsAll(compose().all(Role.TASK_MANAGER));
        assertThat(compose().all(Role.TASK_MANAGER)).as("TaskManager services").isNotEmpty();
        for (String name : flink) {
            assertThat(compose().flinkProperties(name)).as("FLINK_PROPERTIES of %s", name)
                    .isEqualTo(compose().flinkProperties(flink.get(0)));
            assertThat(compose().environment(name).get("ENABLE_BUILT_IN_PLUGINS")).as("plugins of %s", name)
                    .isEqualTo(compose().environment(flink.get(0)).get("ENABLE_BUILT_IN_PLUGINS"));
        }
    }

    @Test
    void clientsReachTheJobManagerWhereItListens() {
        String jobManager = compose().only(Role.JOB_MANAGER);
        Map<String, String> flink = compose().flinkProperties(jobManager);
        assertThat(flink.get("jobmanager.rpc.address")).as("jobmanager.rpc.address").isEqualTo(jobManager);
        assertThat(compose().healthcheckCommand(jobManager)).as("%s's healthcheck", jobManager)
                .contains("localhost:" + flink.get("rest.port") + "/");
        for (String taskManager : compose().all(Role.TASK_MANAGER)) {
            assertThat(compose().healthcheckCommand(taskManager)).as("%s's healthcheck", taskManager)
                    .contains("localhost:" + compose().flinkProperties(taskManager).get("metrics.reporter.prom.port"));
        }
    }

    @Test
    void checkpointsAndModelsGoToTheObjectStoresBucket() {
        String store = compose().only(Role.OBJECT_STORE);
        List<String> storeCommand = compose().command(store);
        String bucket = flag(storeCommand, "-bucket");
        Map<String, String> flink = compose().flinkProperties(compose().only(Role.JOB_MANAGER));

        URI endpoint = URI.create(flink.get("s3.endpoint"));
        assertThat(endpoint.getHost()).as("s3.endpoint host").isEqualTo(store);
        assertThat(endpoint.getPort()).as("s3.endpoint port").isEqualTo(Integer.parseInt(flag(storeCommand,
                "-s3.port")));
        assertThat(flink.get("s3.path.style.access")).as("path-style access (no bucket host names)").isEqualTo("true");
        assertThat(flink.get("s3.access-key")).isEqualTo(compose().environment(store).get("AWS_ACCESS_KEY_ID"));
        assertThat(flink.get("s3.secret-key")).isEqualTo(compose().environment(store).get("AWS_SECRET_ACCESS_KEY"));
        assertThat(flink.get("execution.checkpointing.storage")).isEqualTo("filesystem");
        for (String directory : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir")) {
            assertThat(URI.create(flink.get(directory))).as(directory).hasScheme("s3").hasHost(bucket);
        }
        assertThat(URI.create(submittedJob().store().uri())).as("the job's --store").hasScheme("s3").hasHost(bucket);
        assertThat(compose().healthcheckCommand(store)).as("%s's healthcheck looks for the bucket", store)
                .contains(bucket);
    }

    @Test
    void flinkProcessesRunOneFlinkReleaseWithItsS3PluginAndPrometheusReporter() {
        String version = flinkVersion(flinkImage(compose().only(Role.JOB_MANAGER)));
        assertThat(version).as("Flink version of the JobManager").matches("\\d+\\.\\d+\\.\\d+");
        for (String name : compose().flinkServices()) {
            assertThat(flinkVersion(flinkImage(name))).as("Flink version of %s", name).isEqualTo(version);
            assertThat(compose().environment(name).get("ENABLE_BUILT_IN_PLUGINS")).as("plugins of %s", name)
                    .matches("flink-s3-fs-(presto|hadoop)-" + Pattern.quote(version) + "\\.jar");
        }
        Map<String, String> flink = compose().flinkProperties(compose().only(Role.JOB_MANAGER));
        assertThat(flink.get("metrics.reporter.prom.factory.class")).as("metrics.reporter.prom.factory.class")
                .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void servicesOfTheProjectImageRunOnThePlatformOfTheJobJarsNatives(String name) {
        if (compose().service(name).containsKey("build")) {
            assertThat(nd4jPlatforms()).as("platforms ND4J's natives are built into the job jar for")
                    .contains(text(name + ".platform", compose().service(name).get("platform")));
        }
    }

    // ------------------------------------------------------------------------------------------------------ job

    @Test
    void submittedJobFlagsAreAcceptedByTheJobAndFitTheTaskSlots() {
        JobConfig job = submittedJob();
        assertThat(job.kafka().bootstrapServers()).isEqualTo(internalKafkaAddress());
        Map<String, String> flink = compose().flinkProperties(compose().only(Role.JOB_MANAGER));
        int widest = Math.max(Integer.parseInt(flink.get("parallelism.default")),
                Math.max(job.training().parallelism(), job.inference().parallelism()));
        assertThat(widest).as("widest operator, against the slots of one TaskManager")
                .isLessThanOrEqualTo(Integer.parseInt(flink.get("taskmanager.numberOfTaskSlots")));
    }

    @Test
    void jobManagerRunsTheJobFromTheImagesUsrlibInApplicationModeAndRestartsWithIt()
            throws ReflectiveOperationException {
        String jobManager = compose().only(Role.JOB_MANAGER);
        List<String> run = compose().command(jobManager);
        assertThat(run.subList(0, 2)).as("%s's command: the flink image's application mode", jobManager)
                .containsExactly("standalone-job", "--job-classname");
        assertThat(Class.forName(run.get(2)).getMethod("main", String[].class)).as("the job's main method")
                .isNotNull();
        assertThat(read(dockerfile(jobManager))).as("%s: application mode runs the jars in usrlib/",
                dockerfile(jobManager)).containsPattern("(?m)^COPY .* /opt/flink/usrlib/[^ ]+\\.jar$");
        assertThat(compose().restart(jobManager)).as("%s's restart policy: a restart starts the job again",
                jobManager).isEqualTo("unless-stopped");
        assertThat(compose().healthcheckCommand(jobManager)).as("%s is healthy once the job runs", jobManager)
                .contains("/jobs/overview").contains("RUNNING");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cliServices")
    void cliServicesUseCommandsAndFlagsTheCliHas(String name) {
        List<String> args = cliArguments(name);
        assertThatCode(() -> new CommandLine(new StreamingLstmCli()).parseArgs(args.toArray(String[]::new)))
                .as("%s runs streaming-lstm %s", name, String.join(" ", args))
                .doesNotThrowAnyException();
        assertThat(args.get(0)).as("%s's command", name).isIn(union(KAFKA_COMMANDS, STORE_COMMANDS));
        if (KAFKA_COMMANDS.contains(args.get(0))) {
            assertThat(kafkaAddressesUsedBy(name)).as("%s's --bootstrap-servers", name).isNotEmpty();
        }
    }

    @Test
    void aServiceRunsTheStoreCommandsOnDemand() {
        List<String> storeServices = storeCommandServices().toList();
        assertThat(storeServices).as("services running models, sample, eval or report").isNotEmpty();
        for (String name : storeServices) {
            assertThat(compose().service(name)).as("%s runs on demand (docker compose run), not with `up`", name)
                    .containsKey("profiles");
            assertThat(flag(cliArguments(name), "--store")).as("%s's --store", name)
                    .isEqualTo(submittedJob().store().uri());
        }
    }

    /**
     * The settings the command line reads from the environment (StoreOptions.ENVIRONMENT_SETTINGS) give every service
     * that runs a store command the Flink processes' S3 endpoint, path-style access and credentials, and the S3
     * plugin is enabled for it as for them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("storeCommandServices")
    void servicesRunningStoreCommandsReachTheObjectStoreAsTheFlinkProcessesDo(String name) {
        Map<String, String> env = compose().environment(name);
        Map<String, String> cli = new TreeMap<>();
        StoreOptions.ENVIRONMENT_SETTINGS.forEach((variable, setting) -> {
            if (env.containsKey(variable)) {
                cli.put(setting, env.get(variable));
            }
        });
        if (cli.containsKey("s3.endpoint")) {
            cli.putIfAbsent("s3.path.style.access", "true"); // what StoreOptions does with an endpoint
        }
        Map<String, String> flink = compose().flinkProperties(compose().only(Role.JOB_MANAGER));
        for (String setting : List.of("s3.endpoint", "s3.path.style.access", "s3.access-key", "s3.secret-key")) {
            assertThat(cli.get(setting)).as("%s: %s from its environment, against the Flink processes'", name, setting)
                    .isNotNull().isEqualTo(flink.get(setting));
        }
        assertThat(env.get("ENABLE_BUILT_IN_PLUGINS")).as("plugins of %s", name)
                .isEqualTo(compose().environment(compose().only(Role.JOB_MANAGER)).get("ENABLE_BUILT_IN_PLUGINS"));
        assertThat(compose().dependencies(name)).as("%s waits for the object store", name)
                .containsEntry(compose().only(Role.OBJECT_STORE), "service_healthy");
    }

    static Stream<String> storeCommandServices() {
        return cliServices().filter(name -> STORE_COMMANDS.contains(cliArguments(name).get(0)));
    }

    @Test
    void producerSendsTheDemoCorpusToTheInputTopicAndPredictionsAreFollowed() {
        JobConfig job = submittedJob();
        List<List<String>> cli = cliServices().map(DockerComposeFileTest::cliArguments).toList();
        List<List<String>> producers = cli.stream().filter(args -> args.get(0).equals("produce")).toList();
        assertThat(producers).as("streaming-lstm produce services").isNotEmpty()
                .allSatisfy(args -> assertThat(flag(args, "--topic")).isEqualTo(job.kafka().inputTopic()))
                .anySatisfy(args -> assertThat(args).contains("--demo"));
        assertThat(cli.stream().filter(args -> args.get(0).equals("tail")))
                .as("streaming-lstm tail services").anySatisfy(args -> assertThat(flag(args, "--topic"))
                        .isEqualTo(job.kafka().predictionTopic()));
    }

    // ------------------------------------------------------------------------------------ Prometheus and Grafana

    @Test
    void prometheusScrapesTheReporterOfEveryFlinkProcess() {
        String prometheus = compose().only(Role.PROMETHEUS);
        Path configFile = compose().mountedFile(prometheus, flag(compose().command(prometheus), "--config.file"));
        Map<String, Integer> scraped = new TreeMap<>();
        for (Object job : list("scrape_configs", asMap("prometheus.yml", readYaml(configFile)).get("scrape_configs"))) {
            Map<String, Object> scrape = asMap("scrape config", job);
            for (Object config : list("static_configs", scrape.getOrDefault("static_configs", List.of()))) {
                for (String target : strings("targets", asMap("static config", config).get("targets"))) {
                    URI address = URI.create("http://" + target);
                    scraped.put(address.getHost(), address.getPort());
                }
            }
            for (Object config : list("dns_sd_configs", scrape.getOrDefault("dns_sd_configs", List.of()))) {
                Map<String, Object> dns = asMap("dns_sd_config", config);
                strings("names", dns.get("names"))
                        .forEach(host -> scraped.put(host, Integer.valueOf(text("port", dns.get("port")))));
            }
        }
        Map<String, Integer> reporters = new TreeMap<>();
        List<String> flinkProcesses = new ArrayList<>(compose().all(Role.TASK_MANAGER));
        flinkProcesses.add(compose().only(Role.JOB_MANAGER));
        flinkProcesses.forEach(name -> reporters.put(name,
                Integer.valueOf(compose().flinkProperties(name).get("metrics.reporter.prom.port"))));
        assertThat(scraped).as("Prometheus scrape targets (host: port)").isEqualTo(reporters);
    }

    @Test
    void grafanaReadsThePrometheusServiceAndTheMountedDashboard() {
        String grafana = compose().only(Role.GRAFANA);
        URI url = URI.create(text("data source url", prometheusDataSource().get("url")));
        assertThat(url.getHost()).as("data source host").isEqualTo(compose().only(Role.PROMETHEUS));
        assertThat(listeningPorts(compose().only(Role.PROMETHEUS))).as("Prometheus ports").contains(url.getPort());

        List<Path> dashboards = new ArrayList<>();
        Path providers = compose().mountedFile(grafana, "/etc/grafana/provisioning/dashboards");
        for (Path provider : files(providers, ".yml", ".yaml")) {
            for (Object entry : list("providers", asMap(provider.toString(), readYaml(provider)).get("providers"))) {
                Map<String, Object> options = asMap("provider options", asMap("provider", entry).get("options"));
                dashboards.addAll(files(compose().mountedFile(grafana, text("provider path", options.get("path"))),
                        ".json"));
            }
        }
        assertThat(dashboards).as("provisioned dashboards").containsExactly(DASHBOARD);
        assertThat(compose().mountedFile(grafana, compose().environment(grafana)
                .get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"))).as("home dashboard").isEqualTo(DASHBOARD);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dashboardPanels")
    void dashboardPanelQueriesMetricsTheJobRegisters(String title, JsonNode panel) {
        String uid = text("data source uid", prometheusDataSource().get("uid"));
        assertThat(panel.path("datasource").path("uid").asText()).as("data source of panel %s", title).isEqualTo(uid);
        assertThat(panel.path("targets")).as("queries of panel %s", title).isNotEmpty();
        Set<String> registered = JobSources.registeredMetricNames();
        Set<String> operators = operatorNames();
        for (JsonNode target : panel.path("targets")) {
            assertThat(target.path("datasource").path("uid").asText(uid)).as("data source of a query").isEqualTo(uid);
            String expr = target.path("expr").asText();
            List<String> metrics = matches(Pattern.compile("\\bflink_\\w+"), expr, 0);
            assertThat(metrics).as("metrics in '%s'", expr).isNotEmpty();
            for (String metric : metrics) {
                if (metric.startsWith(OPERATOR_METRIC)) {
                    assertThat(registered).as("metrics the job registers, queried in '%s'", expr)
                            .contains(metric.substring(OPERATOR_METRIC.length()));
                } else {
                    assertThat(FLINK_JOB_METRICS).as("Flink job metrics, queried in '%s'", expr).contains(metric);
                }
            }
            assertThat(matches(Pattern.compile("operator_name=\"([^\"]*)\""), expr, 1))
                    .as("operator names in '%s'", expr).isSubsetOf(operators);
        }
    }

    @Test
    void dashboardShowsThroughputLossModelVersionLatencyAndDeadLetters() {
        String queries = readJson(DASHBOARD).findValues("expr").stream().map(JsonNode::asText)
                .collect(Collectors.joining("\n"));
        assertThat(queries).contains("rate(" + OPERATOR_METRIC + "tokensTrained", OPERATOR_METRIC + "lossBpc",
                OPERATOR_METRIC + "modelVersion", OPERATOR_METRIC + "predictionLatencyMillis",
                OPERATOR_METRIC + "deadLetters");
    }

    // ================================================================================================== helpers

    private static void visit(String name, Map<String, Boolean> finished, Deque<String> path) {
        path.addLast(name);
        if (Boolean.FALSE.equals(finished.get(name))) {
            fail("depends_on cycle: " + String.join(" -> ", path));
        }
        if (!finished.containsKey(name)) {
            finished.put(name, false);
            compose().dependencies(name).keySet().stream().filter(compose().services()::containsKey)
                    .forEach(dependency -> visit(dependency, finished, path));
            finished.put(name, true);
        }
        path.removeLast();
    }

    /** The ports a service listens on, read from its own settings. */
    private static Set<Integer> listeningPorts(String name) {
        Set<Integer> ports = new TreeSet<>();
        switch (compose().role(name)) {
            case KAFKA -> listeners(compose().environment(name).get("KAFKA_LISTENERS")).values()
                    .forEach(address -> ports.add(address.getPort()));
            case OBJECT_STORE -> ports.add(Integer.valueOf(flag(compose().command(name), "-s3.port")));
            case PROMETHEUS -> {
                String address = flag(compose().command(name), "--web.listen-address");
                ports.add(Integer.valueOf(address.substring(address.lastIndexOf(':') + 1)));
            }
            case GRAFANA -> ports.add(Integer.valueOf(compose().environment(name).get("GF_SERVER_HTTP_PORT")));
            case JOB_MANAGER -> {
                ports.add(Integer.valueOf(compose().flinkProperties(name).get("rest.port")));
                ports.add(Integer.valueOf(compose().flinkProperties(name).get("metrics.reporter.prom.port")));
            }
            case TASK_MANAGER -> ports.add(Integer.valueOf(compose().flinkProperties(name)
                    .get("metrics.reporter.prom.port")));
            default -> { } // one-shots and clients listen on nothing
        }
        return ports;
    }

    /** {@code NAME://host:port,...} by listener name; an empty host is 0.0.0.0. */
    private static Map<String, URI> listeners(String listeners) {
        assertThat(listeners).as("a Kafka listener list").isNotBlank();
        Map<String, URI> addresses = new LinkedHashMap<>();
        for (String listener : listeners.split(",")) {
            Matcher m = Pattern.compile("([A-Z_]+)://([^:]*):(\\d+)").matcher(listener.trim());
            assertThat(m.matches()).as("listener '%s' is NAME://host:port", listener).isTrue();
            String host = m.group(2).isEmpty() ? "0.0.0.0" : m.group(2);
            addresses.put(m.group(1), URI.create("kafka://" + host + ":" + m.group(3)));
        }
        return addresses;
    }

    /** The broker's address for the other containers: its inter-broker listener as advertised. */
    private static String internalKafkaAddress() {
        Map<String, String> env = compose().environment(compose().only(Role.KAFKA));
        URI address = listeners(env.get("KAFKA_ADVERTISED_LISTENERS")).get(env.get("KAFKA_INTER_BROKER_LISTENER_NAME"));
        return address.getHost() + ":" + address.getPort();
    }

    /** The Kafka addresses a service's command gives: --bootstrap-servers (the job, the CLI), --bootstrap-server. */
    private static List<String> kafkaAddressesUsedBy(String name) {
        List<String> addresses = new ArrayList<>();
        List<String> run = compose().command(name);
        for (int i = 0; i < run.size(); i++) {
            Matcher m = Pattern.compile("--bootstrap-servers?(?:=(.*))?").matcher(run.get(i));
            if (m.matches()) {
                String value = m.group(1) != null ? m.group(1) : i + 1 < run.size() ? run.get(i + 1) : "";
                addresses.addAll(List.of(value.split(",")));
            }
        }
        return addresses;
    }

    /**
     * The job's configuration from the JobManager's command: the flags after {@code standalone-job --job-classname
     * CLASS}.
     */
    private static JobConfig submittedJob() {
        List<String> run = compose().command(compose().only(Role.JOB_MANAGER));
        assertThat(run).as("the JobManager's command").hasSizeGreaterThan(3);
        String[] flags = run.subList(3, run.size()).toArray(String[]::new);
        try {
            return JobConfig.parse(flags);
        } catch (IllegalArgumentException e) {
            return fail("the job rejects its flags: %s (flags: %s)", e.getMessage(), String.join(" ", flags));
        }
    }

    /**
     * The arguments a service gives the streaming-lstm command line (entrypoint + command after the
     * {@code streaming-lstm} launcher), or none if it runs something else.
     */
    private static List<String> cliArguments(String name) {
        List<String> run = new ArrayList<>(compose().entrypoint(name));
        run.addAll(compose().command(name));
        if (!run.isEmpty() && (run.get(0).equals("streaming-lstm") || run.get(0).endsWith("/streaming-lstm"))) {
            return List.copyOf(run.subList(1, run.size()));
        }
        return List.of();
    }

    /** The Dockerfile a service is built from. */
    private static Path dockerfile(String name) {
        Map<String, Object> build = asMap(name + ".build", compose().service(name).get("build"));
        Path context = compose().repositoryPath(name + ".build.context", text(name + ".build.context",
                build.get("context")));
        return context.resolve(text(name + ".build.dockerfile", build.getOrDefault("dockerfile", "Dockerfile")));
    }

    /** The flink image a service runs: its image, or the one its Dockerfile builds the last stage on. */
    private static String flinkImage(String name) {
        if (!compose().service(name).containsKey("build")) {
            return compose().image(name);
        }
        List<String> bases = matches(Pattern.compile("(?im)^\\s*FROM\\s+(?:docker\\.io/)?(?:library/)?(flink:\\S+)"),
                read(dockerfile(name)), 1);
        assertThat(bases).as("FROM flink:... in %s", dockerfile(name)).isNotEmpty();
        return bases.get(bases.size() - 1);
    }

    /**
     * Docker platforms of the nd4j-native classifiers in the poms (the root's and its modules'): linux-x86_64 is
     * linux/amd64, linux-arm64 is linux/arm64.
     */
    private static Set<String> nd4jPlatforms() {
        Map<String, String> platforms = Map.of("linux-x86_64", "linux/amd64", "linux-arm64", "linux/arm64");
        Pattern classifier = Pattern.compile("<artifactId>nd4j-native</artifactId>\\s*(?:<version>[^<]*</version>\\s*)?"
                + "<classifier>([^<]+)</classifier>");
        Set<String> found = new TreeSet<>();
        try (Stream<Path> poms = Files.walk(REPOSITORY, 2)) {
            poms.filter(pom -> pom.getFileName().toString().equals("pom.xml"))
                    .forEach(pom -> matches(classifier, read(pom), 1)
                            .forEach(name -> found.add(platforms.getOrDefault(name, name))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(found).as("nd4j-native classifiers in the poms").isNotEmpty();
        return found;
    }

    /** {@code flink:2.2.0-java17} gives 2.2.0; a tag without the patch release is not pinned. */
    private static String flinkVersion(String image) {
        assertThat(repository(image)).as("repository of %s", image).isIn("flink", "apache/flink");
        Matcher m = Pattern.compile("(\\d+\\.\\d+\\.\\d+)(?:-.*)?").matcher(tag(image));
        assertThat(m.matches()).as("version tag of %s", image).isTrue();
        return m.group(1);
    }

    private static Map<String, Object> prometheusDataSource() {
        Path folder = compose().mountedFile(compose().only(Role.GRAFANA), "/etc/grafana/provisioning/datasources");
        List<Map<String, Object>> prometheus = new ArrayList<>();
        for (Path file : files(folder, ".yml", ".yaml")) {
            for (Object source : list("datasources", asMap(file.toString(), readYaml(file)).get("datasources"))) {
                Map<String, Object> datasource = asMap("data source", source);
                if ("prometheus".equals(datasource.get("type"))) {
                    prometheus.add(datasource);
                }
            }
        }
        assertThat(prometheus).as("provisioned Prometheus data sources").hasSize(1);
        return prometheus.get(0);
    }

    /** Operator names of the job graph: {@code transform("x", ...)} and {@code .name("x")} in StreamingLstmJob. */
    private static Set<String> operatorNames() {
        String job = read(JOB_SOURCES.resolve("StreamingLstmJob.java"));
        return new TreeSet<>(matches(Pattern.compile("(?:transform|\\.name)\\(\"([^\"]+)\""), job, 1));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            return fail("%s does not parse as JSON: %s", file, e.getMessage());
        }
    }

    /** Files under a folder (all depths) whose names end in one of the suffixes, sorted. */
    private static List<Path> files(Path folder, String... suffixes) {
        assertThat(folder).as("folder").isDirectory();
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(file -> Arrays.stream(suffixes).anyMatch(file.toString()::endsWith)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
