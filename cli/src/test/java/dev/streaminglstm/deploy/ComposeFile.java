package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * {@code docker-compose.yml} as compose reads it, for {@link DockerComposeFileTest}: parsed, with compose's variable
 * substitution applied, and read back service by service (command, environment, depends_on, mounts, ports, the
 * {@code FLINK_PROPERTIES} the flink image's entrypoint applies). Services are told apart by what they run
 * ({@link Role}), not by their names. Anything malformed fails the calling test with what and where.
 */
final class ComposeFile {

    /** Top-level keys compose knows, besides {@code x-} extensions. */
    static final Set<String> TOP_LEVEL_KEYS = Set.of("name", "services", "volumes", "networks", "configs", "secrets");

    /** {@code $$}, {@code ${NAME}}, {@code ${NAME:-default}}, {@code ${NAME-default}}, {@code ${NAME:?error}}, ... */
    private static final Pattern PLACEHOLDER = Pattern.compile(
            "\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:?-)([^}]*)}|\\$\\{[^}]*}|\\$[A-Za-z_][A-Za-z0-9_]*");

    private final Path repository;
    private final Map<String, Object> model;

    private ComposeFile(Path repository, Map<String, Object> model) {
        this.repository = repository;
        this.model = model;
    }

    /** Reads {@code docker-compose.yml} of the repository; every variable in it must have a default. */
    static ComposeFile load(Path repository) {
        Path file = repository.resolve("docker-compose.yml");
        return new ComposeFile(repository, asMap(file.toString(), interpolate(file.toString(), readYaml(file))));
    }

    /** What a service is, told by what it runs. */
    enum Role {
        KAFKA("a Kafka broker (apache/kafka with KAFKA_PROCESS_ROLES)"),
        TOPICS("a one-shot creating topics (apache/kafka running .../create-topics.sh)"),
        OBJECT_STORE("SeaweedFS (chrislusf/seaweedfs)"),
        JOB_MANAGER("a Flink JobManager (command: jobmanager, or standalone-job in application mode)"),
        TASK_MANAGER("a Flink TaskManager (command: taskmanager)"),
        PROMETHEUS("Prometheus (prom/prometheus)"),
        GRAFANA("Grafana (grafana/grafana)"),
        OTHER("something else");

        private final String description;

        Role(String description) {
            this.description = description;
        }
    }

    /** A volume of a service: a named volume, or a bind mount of a repository path. */
    record Mount(String source, String target, boolean bind, boolean readOnly) {}

    /** A port published on the host. */
    record PublishedPort(int host, int container) {}

    Map<String, Object> topLevel() {
        return model;
    }

    Map<String, Object> services() {
        return asMap("services", model.get("services"));
    }

    Map<String, Object> service(String name) {
        return asMap("service " + name, services().get(name));
    }

    Role role(String name) {
        String repository = service(name).containsKey("image") ? repository(image(name)) : "";
        List<String> command = command(name);
        if (repository.equals("apache/kafka")) {
            return environment(name).containsKey("KAFKA_PROCESS_ROLES") ? Role.KAFKA
                    : entrypoint(name).stream().anyMatch(word -> word.endsWith("/create-topics.sh")) ? Role.TOPICS
                    : Role.OTHER;
        }
        if (command.equals(List.of("jobmanager")) || (!command.isEmpty() && command.get(0).equals("standalone-job"))) {
            return Role.JOB_MANAGER;
        }
        if (command.equals(List.of("taskmanager"))) {
            return Role.TASK_MANAGER;
        }
        return switch (repository) {
            case "chrislusf/seaweedfs" -> Role.OBJECT_STORE;
            case "prom/prometheus" -> Role.PROMETHEUS;
            case "grafana/grafana" -> Role.GRAFANA;
            default -> Role.OTHER;
        };
    }

    List<String> all(Role role) {
        return services().keySet().stream().filter(name -> role(name) == role).toList();
    }

    /** The one service of the role. */
    String only(Role role) {
        List<String> found = all(role);
        assertThat(found).as("services that are %s", role.description).hasSize(1);
        return found.get(0);
    }

    /** The services that read FLINK_PROPERTIES: the JobManager and the TaskManagers. */
    List<String> flinkServices() {
        return services().keySet().stream().filter(name -> environment(name).containsKey("FLINK_PROPERTIES")).toList();
    }

    String image(String name) {
        return text(name + ".image", service(name).get("image"));
    }

    /** {@code restart}, "no" when absent (compose's default). */
    String restart(String name) {
        Object restart = service(name).get("restart");
        return restart == null ? "no" : restart.toString();
    }

    /** The command as compose passes it: a list as it is, a string split on white space. */
    List<String> command(String name) {
        return words(name + ".command", service(name).get("command"));
    }

    List<String> entrypoint(String name) {
        return words(name + ".entrypoint", service(name).get("entrypoint"));
    }

    /** The environment as a map, from either the mapping or the {@code KEY=VALUE} list form. */
    Map<String, String> environment(String name) {
        Object env = service(name).get("environment");
        Map<String, String> result = new LinkedHashMap<>();
        if (env instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                assertThat(value).as("%s: environment %s is a scalar", name, key)
                        .isNotInstanceOfAny(Map.class, List.class);
                result.put(key.toString(), value == null ? "" : value.toString());
            });
        } else if (env != null) {
            for (String pair : strings(name + ".environment", env)) {
                int eq = pair.indexOf('=');
                result.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
            }
        }
        return result;
    }

    /**
     * FLINK_PROPERTIES the way the flink image's entrypoint applies it: one {@code key: value} a line, split at the
     * first colon.
     */
    Map<String, String> flinkProperties(String name) {
        Map<String, String> properties = new TreeMap<>();
        for (String line : environment(name).getOrDefault("FLINK_PROPERTIES", "").split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            assertThat(colon).as("%s: FLINK_PROPERTIES line '%s' is key: value", name, line).isPositive();
            String key = line.substring(0, colon).trim();
            assertThat(properties.put(key, line.substring(colon + 1).trim())).as("%s: %s set twice", name, key)
                    .isNull();
        }
        assertThat(properties).as("FLINK_PROPERTIES of %s", name).isNotEmpty();
        return properties;
    }

    /** {@code dependency -> condition}, from the long or the short form of depends_on. */
    Map<String, String> dependencies(String name) {
        Object dependsOn = service(name).get("depends_on");
        Map<String, String> result = new LinkedHashMap<>();
        if (dependsOn instanceof Map<?, ?> map) {
            map.forEach((dependency, spec) -> {
                String where = name + " depends_on " + dependency;
                result.put(dependency.toString(), spec == null ? "service_started"
                        : text(where, asMap(where, spec).getOrDefault("condition", "service_started")));
            });
        } else if (dependsOn != null) {
            strings(name + ".depends_on", dependsOn).forEach(dependency -> result.put(dependency, "service_started"));
        }
        return result;
    }

    /** The services that depend on {@code name} with the condition. */
    List<String> dependents(String name, String condition) {
        return services().keySet().stream().filter(other -> condition.equals(dependencies(other).get(name))).toList();
    }

    List<Mount> mounts(String name) {
        List<Mount> mounts = new ArrayList<>();
        for (Object volume : list(name + ".volumes", service(name).getOrDefault("volumes", List.of()))) {
            if (volume instanceof String spec) {
                String[] parts = spec.split(":");
                assertThat(parts.length).as("%s: volume '%s' is source:target[:mode]", name, spec).isBetween(2, 3);
                boolean bind = parts[0].startsWith(".") || parts[0].startsWith("/");
                mounts.add(new Mount(parts[0], parts[1], bind,
                        parts.length == 3 && Arrays.asList(parts[2].split(",")).contains("ro")));
            } else {
                Map<String, Object> spec = asMap(name + " volume", volume);
                mounts.add(new Mount(text("source", spec.get("source")), text("target", spec.get("target")),
                        "bind".equals(spec.get("type")), Boolean.TRUE.equals(spec.get("read_only"))));
            }
        }
        return mounts;
    }

    /** The repository file behind a container path of the service's bind mounts (a file in a mounted folder too). */
    Path mountedFile(String name, String containerPath) {
        for (Mount mount : mounts(name)) {
            if (!mount.bind()) {
                continue;
            }
            if (containerPath.equals(mount.target())) {
                return repositoryPath(name, mount.source());
            }
            if (containerPath.startsWith(mount.target() + "/")) {
                return repositoryPath(name, mount.source())
                        .resolve(containerPath.substring(mount.target().length() + 1));
            }
        }
        return fail("%s uses %s, which none of its bind mounts provides", name, containerPath);
    }

    /** A path the compose file names, relative to the compose file's folder; it must stay in the repository. */
    Path repositoryPath(String where, String path) {
        Path resolved = repository.resolve(path).normalize();
        assertThat(resolved).as("%s: %s", where, path).startsWith(repository);
        return resolved;
    }

    List<PublishedPort> publishedPorts(String name) {
        List<PublishedPort> ports = new ArrayList<>();
        for (Object port : list(name + ".ports", service(name).getOrDefault("ports", List.of()))) {
            if (port instanceof Map<?, ?> map) {
                ports.add(new PublishedPort(Integer.parseInt(map.get("published").toString()),
                        Integer.parseInt(map.get("target").toString())));
                continue;
            }
            String spec = port.toString().replaceAll("/(tcp|udp)$", "");
            String[] parts = spec.split(":");
            assertThat(parts.length).as("%s: port '%s' is [ip:]host:container (no random host port)", name, spec)
                    .isBetween(2, 3);
            ports.add(new PublishedPort(Integer.parseInt(parts[parts.length - 2]),
                    Integer.parseInt(parts[parts.length - 1])));
        }
        return ports;
    }

    /** The healthcheck's test, its words joined by spaces. */
    String healthcheckCommand(String name) {
        Map<String, Object> healthcheck = asMap(name + ".healthcheck", service(name).get("healthcheck"));
        return String.join(" ", strings(name + ".healthcheck.test", healthcheck.get("test")));
    }

    // ------------------------------------------------------------------------------------------ plain values

    /** The tag of an image reference, "" without one; a registry port ({@code host:5000/repo}) is not a tag. */
    static String tag(String image) {
        String withoutDigest = image.replaceAll("@.*", "");
        String last = withoutDigest.substring(withoutDigest.lastIndexOf('/') + 1);
        int colon = last.indexOf(':');
        return colon < 0 ? "" : last.substring(colon + 1);
    }

    /** The repository of an image reference: {@code grafana/grafana:12.3.1} gives grafana/grafana. */
    static String repository(String image) {
        String withoutDigest = image.replaceAll("@.*", "");
        String last = withoutDigest.substring(withoutDigest.lastIndexOf('/') + 1);
        int colon = last.indexOf(':');
        return colon < 0 ? withoutDigest : withoutDigest.substring(0, withoutDigest.length() - last.length() + colon);
    }

    /** The value of {@code --flag value}, {@code --flag=value} or {@code -flag=value} in a command. */
    static String flag(List<String> args, String flag) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).startsWith(flag + "=")) {
                return args.get(i).substring(flag.length() + 1);
            }
            if (args.get(i).equals(flag) && i + 1 < args.size()) {
                return args.get(i + 1);
            }
        }
        return fail("no %s in %s", flag, args);
    }

    static Object readYaml(Path file) {
        LoadSettings settings = LoadSettings.builder().setLabel(file.toString()).setAllowDuplicateKeys(false).build();
        try {
            return new Load(settings).loadFromString(read(file));
        } catch (RuntimeException e) {
            return fail("%s does not parse as YAML: %s", file, e.getMessage());
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> matches(Pattern pattern, String text, int group) {
        List<String> found = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(m.group(group));
        }
        return found;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(String what, Object value) {
        assertThat(value).as("%s is a mapping", what).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    static List<?> list(String what, Object value) {
        assertThat(value).as("%s is a list", what).isInstanceOf(List.class);
        return (List<?>) value;
    }

    static List<String> strings(String what, Object value) {
        return list(what, value).stream().map(item -> text(what, item)).toList();
    }

    static String text(String what, Object value) {
        assertThat(value).as("%s is a scalar", what).isNotNull().isNotInstanceOfAny(Map.class, List.class);
        return value.toString();
    }

    private static List<String> words(String where, Object value) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof String string) {
            return List.of(string.trim().split("\\s+"));
        }
        return strings(where, value);
    }

    /**
     * The YAML tree with compose's variable substitution applied to every string: {@code $$} is a dollar, and every
     * variable must have a default ({@code ${NAME:-default}}), so that {@code docker compose up} needs no .env file.
     */
    private static Object interpolate(String where, Object node) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> result = new LinkedHashMap<>();
            map.forEach((key, value) -> result.put(key.toString(), interpolate(where + "." + key, value)));
            return result;
        }
        if (node instanceof List<?> items) {
            List<Object> result = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                result.add(interpolate(where + "[" + i + "]", items.get(i)));
            }
            return result;
        }
        if (!(node instanceof String text)) {
            return node;
        }
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder result = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$$")) {
                replacement = "$";
            } else if (m.group(1) != null) {
                replacement = m.group(3);
            } else {
                replacement = fail("%s: %s has no default (write ${NAME:-default}), so `docker compose up` would "
                        + "need an .env file", where, m.group());
            }
            m.appendReplacement(result, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(result);
        return result.toString();
    }
}
