package dev.streaminglstm.job.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Who a client's properties log in as, in words for messages, and never with the password. */
class KafkaPrincipalTest {

    private static final String ENV_PROVIDER = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";

    @Test
    void aSaslLoginIsItsUserNameAndMechanismWithoutThePassword() {
        Properties scram = properties(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"job\" password=\"hunter2\";"));

        assertThat(KafkaPrincipal.describe(scram)).isEqualTo("user 'job' (SASL SCRAM-SHA-512)");
    }

    @Test
    void aPlaceholderIsResolvedAsTheClientWouldResolveIt() {
        String home = System.getenv("HOME");
        Properties placeholders = properties(Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                        + "username=\"${env:HOME}\" password=\"${env:STREAMING_LSTM_TEST_VARIABLE_SET_NOWHERE}\";",
                "config.providers", "env", "config.providers.env.class", ENV_PROVIDER));

        assertThat(KafkaPrincipal.describe(placeholders)).isEqualTo("user '" + home + "' (SASL PLAIN)");
        assertThat(KafkaPrincipal.unresolvedPlaceholders(placeholders))
                .containsExactly("${env:STREAMING_LSTM_TEST_VARIABLE_SET_NOWHERE}");
    }

    @Test
    void otherLoginsAreSaidAsWhatTheyAre() {
        assertThat(KafkaPrincipal.describe(properties(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism",
                "GSSAPI", "sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required "
                        + "principal=\"job@EXAMPLE.COM\";"))))
                .isEqualTo("principal 'job@EXAMPLE.COM' (SASL GSSAPI)");
        assertThat(KafkaPrincipal.describe(properties(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism",
                "OAUTHBEARER")))).isEqualTo("the OAUTHBEARER login (SASL OAUTHBEARER)");
        assertThat(KafkaPrincipal.describe(properties(Map.of("security.protocol", "SSL", "ssl.keystore.location",
                "/etc/kafka/client.p12")))).isEqualTo("the TLS client certificate in /etc/kafka/client.p12");
        assertThat(KafkaPrincipal.describe(new Properties()))
                .isEqualTo("an anonymous client (security.protocol=PLAINTEXT)");
    }

    private static Properties properties(Map<String, String> entries) {
        Properties properties = new Properties();
        properties.putAll(entries);
        return properties;
    }
}
