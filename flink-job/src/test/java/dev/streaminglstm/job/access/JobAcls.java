package dev.streaminglstm.job.access;

import static dev.streaminglstm.kafka.EmbeddedKafkaBroker.acl;

import dev.streaminglstm.job.config.JobConfig;
import java.util.EnumSet;
import java.util.Set;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;

/** The ACLs the job's principal needs on a secured cluster, and nothing more; SECURITY.md lists the same. */
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
    static AclBinding[] all(String user, JobConfig config) {
        return of(user, config, EnumSet.allOf(JobAcls.class));
    }

    /** Every ACL the job needs but {@code missing}; all of them if it is null. */
    static AclBinding[] allBut(JobAcls missing, String user, JobConfig config) {
        Set<JobAcls> grants = EnumSet.allOf(JobAcls.class);
        if (missing != null) {
            grants.remove(missing);
        }
        return of(user, config, grants);
    }

    /** The ACL of {@code grant} alone. */
    static AclBinding of(JobAcls grant, String user, JobConfig config) {
        return grant.binding(user, config);
    }

    private static AclBinding[] of(String user, JobConfig config, Set<JobAcls> grants) {
        return grants.stream().map(grant -> grant.binding(user, config)).toArray(AclBinding[]::new);
    }

    private AclBinding binding(String user, JobConfig config) {
        return switch (this) {
            case READ_INPUT -> acl(user, AclOperation.READ, ResourceType.TOPIC, config.inputTopic(),
                    PatternType.LITERAL);
            case READ_GROUP -> acl(user, AclOperation.READ, ResourceType.GROUP, config.groupId(), PatternType.LITERAL);
            case WRITE_PREDICTIONS -> acl(user, AclOperation.WRITE, ResourceType.TOPIC, config.predictionTopic(),
                    PatternType.LITERAL);
            case WRITE_DEAD_LETTERS -> acl(user, AclOperation.WRITE, ResourceType.TOPIC, config.deadLetterTopic(),
                    PatternType.LITERAL);
            case WRITE_TRANSACTIONS -> acl(user, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID,
                    config.groupId() + "-predictions", PatternType.PREFIXED);
        };
    }
}
