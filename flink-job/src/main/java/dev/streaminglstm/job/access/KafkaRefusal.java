package dev.streaminglstm.job.access;

import org.apache.flink.runtime.throwable.ThrowableAnnotation;
import org.apache.flink.runtime.throwable.ThrowableType;

/**
 * Kafka said no: it refused the client's login (wrong user or password, untrusted certificate) or an operation that
 * no ACL allows. The message is one line naming the brokers, the principal and what was refused. Flink fails a job
 * at once, without restarts, when this is among the causes of a task's failure: a restart would meet the same
 * refusal and only hide it.
 */
@ThrowableAnnotation(ThrowableType.NonRecoverableError)
public final class KafkaRefusal extends RuntimeException {

    private static final long serialVersionUID = 1L;

    KafkaRefusal(String message, Throwable cause) {
        super(message, cause);
    }
}
