package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the packaged job jar holds and what it must not: the job, the Kafka connector and client, Avro and ND4J
 * with its linux-x86_64 natives inside; Flink, logging, the sandbox's Kafka broker and JUnit outside (the cluster
 * provides the first two, the others do not belong on a cluster). An {@code ITCase} because it reads the jar that
 * {@code package} builds.
 */
class JobJarContentsITCase {

    private static JarFile jar;

    @BeforeAll
    static void openJobJar() throws IOException {
        jar = new JarFile(Path.of(System.getProperty("job.jar")).toFile());
    }

    @AfterAll
    static void closeJobJar() throws IOException {
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    void manifestNamesTheJobAsMainClass() throws IOException {
        assertThat(jar.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS))
                .isEqualTo("dev.streaminglstm.job.StreamingLstmJob");
    }

    @Test
    void holdsTheJobItsConnectorsAndNd4jWithLinuxNatives() {
        assertThat(List.of(
                "dev/streaminglstm/job/StreamingLstmJob.class",
                "dev/streaminglstm/job/config/JobConfig.class",
                "dev/streaminglstm/core/model/ParameterSet.class",
                "dev/streaminglstm/store/ModelStores.class",
                "dev/streaminglstm/schema/Prediction.class",
                "org/apache/flink/connector/kafka/source/KafkaSource.class",
                "org/apache/flink/formats/avro/typeutils/AvroTypeInfo.class",
                "org/apache/kafka/clients/consumer/KafkaConsumer.class",
                "org/apache/avro/Schema.class",
                "picocli/CommandLine.class",
                "org/nd4j/linalg/factory/Nd4j.class",
                "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libnd4jcpu.so",
                "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libjnind4jcpu.so",
                "org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so",
                "org/bytedeco/openblas/linux-x86_64/libopenblas.so.0",
                "linux/amd64/libzstd-jni-1.5.6-10.so"))
                .allSatisfy(name -> assertThat(jar.getEntry(name)).as(name).isNotNull());
    }

    @Test
    void leavesOutFlinkLoggingTheTestBrokerAndJunit() {
        List<String> forbidden = List.of(
                "org/apache/flink/runtime/",            // flink-runtime
                "org/apache/flink/streaming/api/environment/", // flink-streaming-java
                "org/apache/flink/client/",             // flink-clients
                "org/apache/flink/api/common/",         // flink-core
                "org/apache/flink/connector/base/",     // flink-connector-base, in flink-dist
                "org/apache/flink/state/rocksdb/",      // flink-statebackend-rocksdb, in flink-dist
                "org/rocksdb/",                         // its frocksdbjni, natives of every platform
                "org/apache/flink/shaded/",
                "org/apache/logging/",
                "org/slf4j/",
                "org/apache/kafka/common/test/",        // kafka-test-common-runtime
                "kafka/server/",                        // kafka_2.13 (the broker)
                "org/apache/kafka/raft/",
                "org/apache/kafka/metadata/",
                "org/apache/kafka/storage/",
                "scala/",
                "org/junit/",
                "corpus/",                              // the sandbox's demo corpus
                "win/", "darwin/", "aix/");             // zstd natives of other platforms
        List<String> names = jar.stream().map(ZipEntry::getName).toList();
        assertThat(names).isNotEmpty();
        for (String prefix : forbidden) {
            assertThat(names).as("entries under %s", prefix).noneMatch(name -> name.startsWith(prefix));
        }
    }

    @Test
    void mergesServiceFilesOfAllDependencies() throws IOException {
        assertThat(service("org.apache.flink.table.factories.Factory")).contains(
                "org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicTableFactory",
                "org.apache.flink.formats.avro.AvroFormatFactory");
        assertThat(service("org.nd4j.linalg.factory.Nd4jBackend")).contains("org.nd4j.linalg.cpu.nativecpu.CpuBackend");
        assertThat(service("org.nd4j.linalg.compression.NDArrayCompressor")).contains(
                "org.nd4j.linalg.cpu.nativecpu.compression.CpuThreshold", // from nd4j-native
                "org.nd4j.compression.impl.Gzip");                        // from nd4j-api
    }

    private static String service(String name) throws IOException {
        ZipEntry entry = jar.getEntry("META-INF/services/" + name);
        assertThat(entry).as("service file %s", name).isNotNull();
        try (InputStream in = jar.getInputStream(entry)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
