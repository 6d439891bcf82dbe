package dev.streaminglstm.job.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Who a Kafka client's properties log in as, in words for messages: {@code user 'job'} for a SASL PLAIN or SCRAM
 * login, the key store's certificate for TLS client authentication, {@code an anonymous client} otherwise. Never
 * the password: only the {@code username} (or Kerberos {@code principal}) of the JAAS line is read, after Kafka's
 * config providers resolved it as the client will.
 */
final class KafkaPrincipal {

    private static final Pattern USERNAME = Pattern.compile("\\b(username|principal)\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{[^}:]+:[^}]*}");

    private KafkaPrincipal() {}

    /** The principal the client with these properties presents, e.g. {@code user 'job' (SASL SCRAM-SHA-512)}. */
    static String describe(Properties clientProperties) {
        Map<String, String> settings = resolved(clientProperties);
        String protocol = settings.getOrDefault("security.protocol", "PLAINTEXT").trim().toUpperCase(Locale.ROOT);
        if (protocol.startsWith("SASL_")) {
            String mechanism = settings.getOrDefault("sasl.mechanism", "GSSAPI").trim();
            Matcher name = USERNAME.matcher(settings.getOrDefault("sasl.jaas.config", ""));
            String who = name.find() ? name.group(1).equals("username") ? "user '" + name.group(2) + "'"
                    : "principal '" + name.group(2) + "'" : "the " + mechanism + " login";
            return who + " (SASL " + mechanism + ")";
        }
        if (protocol.equals("SSL") && settings.containsKey("ssl.keystore.location")) {
            return "the TLS client certificate in " + settings.get("ssl.keystore.location");
        }
        return "an anonymous client (security.protocol=" + protocol + ")";
    }

    /**
     * The {@code ${provider:key}} placeholders that Kafka's config providers cannot resolve here (a variable not set
     * in this process's environment, say), in the order of the properties' keys.
     */
    static List<String> unresolvedPlaceholders(Properties clientProperties) {
        List<String> unresolved = new ArrayList<>();
        new TreeMap<>(resolved(clientProperties)).forEach((key, value) -> {
            Matcher placeholder = PLACEHOLDER.matcher(key.startsWith("config.providers") ? "" : value);
            while (placeholder.find()) {
                unresolved.add(placeholder.group());
            }
        });
        return unresolved;
    }

    /** The properties with {@code ${provider:key}} placeholders resolved; as given if they cannot be. */
    private static Map<String, String> resolved(Properties clientProperties) {
        try {
            return new AbstractConfig(new ConfigDef(), clientProperties, false).originalsStrings();
        } catch (RuntimeException e) {
            return new AbstractConfig(new ConfigDef(), withoutProviders(clientProperties), false).originalsStrings();
        }
    }

    private static Properties withoutProviders(Properties clientProperties) {
        Properties copy = new Properties();
        clientProperties.forEach((key, value) -> {
            if (!key.toString().startsWith("config.providers")) {
                copy.put(key, value);
            }
        });
        return copy;
    }
}
