package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TokenViewTest {
    @Test
    void writesSamplePages() throws Exception {
        Path dir = Path.of("target/pages");
        Files.createDirectories(dir);
        Cl100kTestTokenizer tok = new Cl100kTestTokenizer();
        TokenView text = TokenView.ofIds(tok, tok.encode(Samples.prompt() + Samples.completion()), "sample.py");
        text.writeHtml(dir.resolve("text.html"), 8);
        TokenView trace = TokenView.ofTrace(tok, Samples.trace(), "sample-trace.jsonl");
        trace.writeHtml(dir.resolve("trace.html"), 8);
        Files.writeString(dir.resolve("trace.ansi"), trace.toAnsi(8));
        Files.writeString(dir.resolve("trace.jsonl"), Samples.traceJsonl());
        assertThat(dir.resolve("trace.html")).exists();
    }
}
