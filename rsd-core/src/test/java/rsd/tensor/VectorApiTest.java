package rsd.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import rsd.error.RsdException;
import rsd.gguf.GgmlType;

/** A JVM without the Vector API module gets one clear RsdException, not a NoClassDefFoundError. */
class VectorApiTest {
    /** Run in a JVM started without --add-modules: wraps a tensor and prints what happened. */
    public static void main(String[] args) {
        try {
            Tensor t = Tensor.wrap(GgmlType.F32, MemorySegment.ofArray(new float[8]), 8);
            System.out.println("wrapped " + t.type());
        } catch (RsdException e) {
            System.out.println("RsdException: " + e.getMessage());
        } catch (Throwable e) {
            System.out.println("other: " + e);
        }
        try {
            rsd.model.LlamaModel.load(Path.of("no-such.gguf"), 1, 0);
        } catch (RsdException e) {
            System.out.println("load RsdException: " + e.getMessage());
        } catch (Throwable e) {
            System.out.println("load other: " + e);
        }
    }

    @Test
    void thisJvmHasTheModuleAndWrapsTensors() {
        VectorApi.require();
        assertThat(Tensor.wrap(GgmlType.F32, MemorySegment.ofArray(new float[8]), 8).type()).isEqualTo(GgmlType.F32);
    }

    @Test
    void withoutTheModuleTheMessageNamesTheOption() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                VectorApiTest.class.getName())).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).contains("RsdException: " + VectorApi.missingMessage())
                .contains("load RsdException: " + VectorApi.missingMessage())
                .contains("--add-modules jdk.incubator.vector")
                .doesNotContain("NoClassDefFoundError").doesNotContain("other:");
    }
}
