package dev.streaminglstm.job.access;

import static dev.streaminglstm.kafka.EmbeddedKafkaBroker.acl;

import dev.streaminglstm.job.config.KafkaSettings;
import java.util.EnumSet;
import java.util.Set;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;

/** The ACLs the job's principal needs on a secured cluster, and nothing more; docs/security.md lists the same. */
enum JobAcls {
    /** READ the input topic (DESCRIBE comes with it). */
    READ_INPUT,
    /** READ the consumer group {@code --group-id}: commit the offsets of completed checkpoints. */
    READ_GROUP,
    /** WRITE the prediction topic. */
    WRITE_PREDICTIONS,
    /** WRITE the dead-letter topic. */
    WRITE_DEAD_LETTERS,
    /** WRITE under the transactional ids {@code <group-id>-predictions*} (EXACTLY_ONCE only). */
    WRITE_TRANSACTIONS;

    /** Every ACL the job needs. */
    static AclBinding[] all(String user, KafkaSettings kafka) {
        return of(user, kafka, EnumSet.allOf(JobAcls.class));
    }

    /** Every ACL the job needs but {@code missing}; all of them if it is null. */
    static AclBinding[] allBut(JobAcls missing, String user, KafkaSettings kafka) {
        Set<JobAcls> grants = EnumSet.allOf(JobAcls.class);
        if (missing != null) {
            grants.remove(missing);
        }
        return of(user, kafka, grants);
    }

    /** The ACL of {@code grant} alone. */
    static AclBinding of(JobAcls grant, String user, KafkaSettings kafka) {
        return grant.binding(user, kafka);
    }

    private static AclBinding[] of(String user, KafkaSettings kafka, Set<JobAcls> grants) {
        return grants.stream().map(grant -> grant.binding(user, kafka)).toArray(AclBinding[]::new);
    }

    private AclBinding binding(String user, KafkaSettings kafka) {
        return switch (this) {
            case READ_INPUT -> acl(user, AclOperation.READ, ResourceType.TOPIC, kafka.inputTopic(),
                    PatternType.LITERAL);
            case READ_GROUP -> acl(user, AclOperation.READ, ResourceType.GROUP, kafka.groupId(), PatternType.LITERAL);
            case WRITE_PREDICTIONS -> acl(user, AclOperation.WRITE, ResourceType.TOPIC, kafka.predictionTopic(),
                    PatternType.LITERAL);
            case WRITE_DEAD_LETTERS -> acl(user, AclOperation.WRITE, ResourceType.TOPIC, kafka.deadLetterTopic(),
                    PatternType.LITERAL);
            case WRITE_TRANSACTIONS -> acl(user, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID,
                    kafka.groupId() + "-predictions", PatternType.PREFIXED);
        };
    }
}
