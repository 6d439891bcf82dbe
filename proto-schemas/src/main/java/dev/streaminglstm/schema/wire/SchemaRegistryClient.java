package dev.streaminglstm.schema.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client of a schema registry's Confluent-compatible REST API (Confluent Schema Registry, or Apicurio Registry at
 * {@code /apis/ccompat/v7}): registers Avro schemas under a subject, looks schemas up by id, checks compatibility.
 * Schemas looked up by id are cached for good (a registry never changes what an id means); an id the registry does
 * not have is remembered for {@link #UNKNOWN_ID_TTL}, so that a flood of records with made-up ids costs one request
 * per id and period. Thread-safe.
 */
public final class SchemaRegistryClient {

    /** How long to wait for a connection to the registry. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How long to wait for the registry's answer to one request. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** How long an id that the registry did not have is answered as unknown without asking again. */
    public static final Duration UNKNOWN_ID_TTL = Duration.ofSeconds(30);

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final int MAX_UNKNOWN_IDS = 10_000;
    /** The registry's error codes for "no such subject", "no such version" and "no such schema". */
    private static final int SUBJECT_NOT_FOUND = 40401;
    private static final int SCHEMA_NOT_FOUND = 40403;

    private final String url;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Integer, RegisteredSchema> byId = new ConcurrentHashMap<>();
    private final Map<Integer, Long> unknownUntilNanos = new ConcurrentHashMap<>();

    /** A schema as the registry holds it: its type ({@code AVRO}, {@code PROTOBUF}, {@code JSON}) and text. */
    public record RegisteredSchema(int id, String type, String text) {}

    /** The registry's verdict on a schema for a subject; {@code messages} say why not, where it gives reasons. */
    public record Compatibility(boolean compatible, String messages) {}

    /**
     * A client of the registry at {@code url}, the base of its Confluent-compatible API (for example
     * {@code http://localhost:8081}, or {@code http://localhost:8080/apis/ccompat/v7} for Apicurio).
     *
     * @throws IllegalArgumentException when {@code url} is not an absolute http or https URL
     */
    public SchemaRegistryClient(String url) {
        this.url = checkedUrl(url);
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    }

    /** The base URL this client talks to, without a trailing slash. */
    public String url() {
        return url;
    }

    /** The subject of a topic's record values under the TopicNameStrategy: {@code <topic>-value}. */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }

    /**
     * Registers {@code schema} under {@code subject} (a schema registered before keeps its id) and returns its id.
     *
     * @throws SchemaRegistryException when the registry refuses it (for example as incompatible) or cannot be asked
     */
    public int register(String subject, Schema schema) throws SchemaRegistryException {
        String what = "register " + schema.getFullName() + " under subject '" + subject + "'";
        String path = "/subjects/" + encode(subject) + "/versions";
        JsonNode answer;
        try {
            answer = send("POST", path, schemaBody(schema), what);
        } catch (SchemaRegistryException e) {
            if (e.status() != 409) {
                throw e;
            }
            // Apicurio answers 409 to the loser of two first registrations of a subject at once; now it exists
            answer = send("POST", path, schemaBody(schema), what);
        }
        return requiredInt(answer, "id", what);
    }

    /**
     * The schema with id {@code id}, or empty when the registry has none.
     *
     * @throws SchemaRegistryException when the registry cannot be asked or answers with another error
     */
    public Optional<RegisteredSchema> schemaById(int id) throws SchemaRegistryException {
        RegisteredSchema cached = byId.get(id);
        if (cached != null) {
            return Optional.of(cached);
        }
        Long unknownUntil = unknownUntilNanos.get(id);
        if (unknownUntil != null && System.nanoTime() - unknownUntil < 0) {
            return Optional.empty();
        }
        String what = "look up schema id " + id;
        try {
            JsonNode answer = send("GET", "/schemas/ids/" + id, null, what);
            String type = answer.path("schemaType").asText("AVRO");
            RegisteredSchema schema = new RegisteredSchema(id, type, requiredText(answer, "schema", what));
            byId.put(id, schema);
            unknownUntilNanos.remove(id);
            return Optional.of(schema);
        } catch (SchemaRegistryException e) {
            if (e.status() != 404) {
                throw e;
            }
            rememberUnknown(id);
            return Optional.empty();
        }
    }

    /**
     * Whether {@code schema} may be registered under {@code subject} by the subject's compatibility rule, tested
     * against its latest version; compatible when the subject has no version yet.
     */
    public Compatibility checkCompatibility(String subject, Schema schema) throws SchemaRegistryException {
        String what = "check " + schema.getFullName() + " against subject '" + subject + "'";
        try {
            String path = "/compatibility/subjects/" + encode(subject) + "/versions/latest?verbose=true";
            JsonNode answer = send("POST", path, schemaBody(schema), what);
            if (!answer.path("is_compatible").isBoolean()) {
                throw new SchemaRegistryException(failure(what, "its answer has no is_compatible: " + answer), 200,
                        null);
            }
            JsonNode messages = answer.path("messages");
            return new Compatibility(answer.get("is_compatible").booleanValue(),
                    messages.isMissingNode() || messages.isNull() ? "" : messages.toString());
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return new Compatibility(true, "subject '" + subject + "' has no version yet");
            }
            throw e;
        }
    }

    /** Sets the compatibility rule of {@code subject}: BACKWARD, FORWARD, FULL, NONE (and their _TRANSITIVE). */
    public void setCompatibility(String subject, String level) throws SchemaRegistryException {
        ObjectNode body = json.createObjectNode().put("compatibility", level);
        send("PUT", "/config/" + encode(subject), body.toString(),
                "set the compatibility of subject '" + subject + "' to " + level);
    }

    private void rememberUnknown(int id) {
        if (unknownUntilNanos.size() >= MAX_UNKNOWN_IDS) {
            unknownUntilNanos.clear();
        }
        unknownUntilNanos.put(id, System.nanoTime() + UNKNOWN_ID_TTL.toNanos());
    }

    private String schemaBody(Schema schema) {
        return json.createObjectNode().put("schema", schema.toString()).toString();
    }

    /** Sends one request and returns the JSON it answers; a status of 300 or more is an exception. */
    private JsonNode send(String method, String path, String body, String what) throws SchemaRegistryException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", CONTENT_TYPE + ", application/json")
                .header("Content-Type", CONTENT_TYPE)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw new SchemaRegistryException(failure(what, method + " " + path + " had no answer within "
                    + REQUEST_TIMEOUT.toSeconds() + " s"), 0, e);
        } catch (IOException e) {
            throw new SchemaRegistryException(failure(what, method + " " + path + " failed: " + e), 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(failure(what, "interrupted during " + method + " " + path), 0, e);
        }
        JsonNode answer = parse(response.body());
        if (response.statusCode() >= 300) {
            throw new SchemaRegistryException(failure(what, method + " " + path + " answered HTTP "
                    + response.statusCode() + errorOf(answer, response.body())), statusOf(response, answer), null);
        }
        if (answer == null) {
            throw new SchemaRegistryException(failure(what, method + " " + path + " answered with no JSON: "
                    + abbreviated(response.body())), response.statusCode(), null);
        }
        return answer;
    }

    /** The HTTP status, except that "not found" error codes count as 404 whatever the status says. */
    private static int statusOf(HttpResponse<String> response, JsonNode answer) {
        int code = answer == null ? 0 : answer.path("error_code").asInt(0);
        return code == SUBJECT_NOT_FOUND || code == SCHEMA_NOT_FOUND ? 404 : response.statusCode();
    }

    private JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? null : json.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static String errorOf(JsonNode answer, String body) {
        if (answer != null && answer.has("message")) {
            return " (error_code " + answer.path("error_code").asText("?") + ": " + answer.get("message").asText()
                    + ")";
        }
        return body == null || body.isBlank() ? "" : ": " + abbreviated(body);
    }

    private int requiredInt(JsonNode answer, String field, String what) throws SchemaRegistryException {
        if (!answer.path(field).isInt()) {
            throw new SchemaRegistryException(failure(what, "its answer has no " + field + ": " + answer), 200, null);
        }
        return answer.get(field).intValue();
    }

    private String requiredText(JsonNode answer, String field, String what) throws SchemaRegistryException {
        if (!answer.path(field).isTextual()) {
            throw new SchemaRegistryException(failure(what, "its answer has no " + field + ": " + answer), 200, null);
        }
        return answer.get(field).textValue();
    }

    private String failure(String what, String detail) {
        return "schema registry " + url + ": cannot " + what + ": " + detail;
    }

    private static String abbreviated(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String checkedUrl(String url) {
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schema registry URL '" + url + "' is not a URL: " + e.getMessage(), e);
        }
        if (!uri.isAbsolute() || uri.getHost() == null
                || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw new IllegalArgumentException("schema registry URL '" + url
                    + "' must be an absolute http or https URL, such as http://localhost:8081");
        }
        String text = uri.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }
}
