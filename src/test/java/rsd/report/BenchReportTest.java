package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BenchReportTest {
    @Test
    void writesSample() throws Exception {
        Path dir = Path.of("target/pages");
        Files.createDirectories(dir);
        BenchReport.write(new ObjectMapper().readTree(Samples.resource("sample-bench.json")), dir.resolve("bench.html"));
        assertThat(dir.resolve("bench.html")).exists();
    }
}
