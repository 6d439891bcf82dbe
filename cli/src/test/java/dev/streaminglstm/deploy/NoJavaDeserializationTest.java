package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.cli.StreamingLstmCli;
import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.store.ModelStores;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Input is data, never code: no class of the project's own (main code of every module, as built) refers to a way of
 * turning bytes into arbitrary objects, whatever reads those bytes (Kafka records, store files). Records are Avro of
 * fixed, generated schemas; parameter files, optimiser states and manifests have their own bounded readers.
 *
 * <p>A class refers to another through its internal name in its constant pool, so the check looks for these names in
 * the class files' bytes.
 */
class NoJavaDeserializationTest {

    /** Internal names of classes that turn bytes into objects of classes the bytes choose. */
    private static final List<String> OBJECT_READERS = List.of(
            "java/io/ObjectInputStream",
            "java/beans/XMLDecoder",
            "org/apache/flink/util/InstantiationUtil", // its deserializeObject is ObjectInputStream
            "org/apache/commons/lang3/SerializationUtils",
            "com/esotericsoftware/kryo/Kryo");

    /** One class of each module's main code: where it was loaded from is that module's build output. */
    private static final List<Class<?>> MODULES = List.of(ModelFile.class, WireFormat.class, ModelStores.class,
            EmbeddedKafkaBroker.class, StreamingLstmJob.class, StreamingLstmCli.class);

    @Test
    void noClassOfTheProjectRefersToJavaDeserialization() throws IOException {
        Map<String, byte[]> classes = projectClasses();

        List<String> offenders = new ArrayList<>();
        classes.forEach((name, bytes) -> objectReadersIn(bytes).forEach(reader -> offenders.add(name + " -> " + reader)));

        assertThat(classes).as("class files of the project's main code").hasSizeGreaterThan(100);
        assertThat(offenders).as("project classes referring to a deserializer of objects").isEmpty();
    }

    @Test
    void theCheckFindsTheReferenceWhereThereIsOne() throws IOException {
        // ArrayList has a readObject(ObjectInputStream) for Java serialization
        try (InputStream in = ArrayList.class.getResourceAsStream("ArrayList.class")) {
            assertThat(objectReadersIn(in.readAllBytes())).containsExactly("java/io/ObjectInputStream");
        }
    }

    private static List<String> objectReadersIn(byte[] classFile) {
        String text = new String(classFile, StandardCharsets.ISO_8859_1);
        return OBJECT_READERS.stream().filter(text::contains).toList();
    }

    /** Every class file of the project's main code, by path. */
    private static Map<String, byte[]> projectClasses() throws IOException {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        for (Class<?> module : MODULES) {
            Path location = location(module);
            if (Files.isDirectory(location)) {
                try (Stream<Path> files = Files.walk(location)) {
                    for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                        classes.put(location.relativize(file).toString(), Files.readAllBytes(file));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    for (var entry : Collections.list(jar.entries())) {
                        if (entry.getName().startsWith("dev/streaminglstm/") && entry.getName().endsWith(".class")) {
                            classes.put(entry.getName(), jar.getInputStream(entry).readAllBytes());
                        }
                    }
                }
            }
        }
        return classes;
    }

    private static Path location(Class<?> module) {
        try {
            Path location = Path.of(module.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertThat(location.toString()).as("where %s comes from", module).doesNotContain("test-classes");
            return location;
        } catch (URISyntaxException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
