package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import rsd.metrics.StepTrace;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

/**
 * Every generated page loaded in a real headless Chromium: the DOM after scripts ran holds the expected
 * tokens and charts, the page raised no errors, and a screenshot lands in target/screenshots for people to
 * look at.
 */
class BrowserTest {
    private static final Path PAGES = Path.of("target/browser");
    private static final Path SHOTS = Path.of("target/screenshots");
    private static final Tokenizer TOK = Cl100kVocabulary.tokenizer();

    private static HeadlessChromium.Result open(String name, String html) throws Exception {
        Files.createDirectories(PAGES);
        Path page = PAGES.resolve(name + ".html");
        Files.writeString(page, html);
        return HeadlessChromium.load(page, SHOTS.resolve(name + ".png"));
    }

    private static void assertCleanAndShot(HeadlessChromium.Result r) throws IOException {
        Matcher errors = Pattern.compile("<pre id=\"js-errors\"([^>]*)>(.*?)</pre>", Pattern.DOTALL).matcher(r.dom());
        assertThat(errors.find()).as("error hook element in the DOM").isTrue();
        assertThat(errors.group(2)).as("errors the page's scripts raised").isEmpty();
        assertThat(errors.group(1)).contains("hidden");
        assertThat(r.consoleLines()).as("browser console").isEmpty();
        assertThat(r.screenshot()).exists();
        try (InputStream in = Files.newInputStream(r.screenshot()); DataInputStream d = new DataInputStream(in)) {
            byte[] sig = d.readNBytes(8);
            assertThat(sig).containsExactly(0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a);
            d.readInt(); // IHDR length
            d.readInt(); // "IHDR"
            assertThat(d.readInt()).as("screenshot width").isEqualTo(1280);
            assertThat(d.readInt()).as("screenshot height").isEqualTo(2000);
        }
        assertThat(Files.size(r.screenshot())).isGreaterThan(20_000); // a blank page compresses to a few KB
    }

    private static long count(String dom, String regex) {
        return Pattern.compile(regex).matcher(dom).results().count();
    }

    @Test
    void textTokenView() throws Exception {
        int[] ids = TOK.encode(Samples.prompt() + Samples.completion());
        var r = open("analyze-text", TokenView.ofIds(TOK, ids, "sample.py").toHtml(8));
        assertCleanAndShot(r);
        assertThat(count(r.dom(), "<span class=\"t c\\d+\" data-id=")).isEqualTo(ids.length);
        int seven = TOK.idOf("       ");
        assertThat(r.dom()).containsPattern("data-id=\"" + seven + "\"[^>]*><span class=\"ws\">\u00b7{7}</span></span>");
        assertThat(r.dom()).contains("<table id=\"spaces\">");
    }

    @Test
    void traceTokenView() throws Exception {
        Trace trace = Samples.trace();
        var r = open("analyze-trace", TokenView.ofTrace(TOK, trace, "sample-trace.jsonl").toHtml(8));
        assertCleanAndShot(r);
        long accepted = trace.steps().stream().mapToLong(StepTrace::accepted).sum();
        long rejected = trace.steps().stream().mapToLong(s -> s.guessed().length - s.accepted()).sum();
        assertThat(count(r.dom(), "<span class=\"t acc r\\d+\"")).isEqualTo(accepted);
        assertThat(count(r.dom(), "<span class=\"t rej r\\d+\"")).isEqualTo(rejected);
        assertThat(count(r.dom(), "<span class=\"st\" data-s=")).isEqualTo(trace.steps().size());
        assertThat(r.dom()).contains("<table id=\"rules\">").contains("id=\"show-rej\"");
    }

    @Test
    void benchReport() throws Exception {
        var r = open("bench-report", BenchReport.html(BenchReportTest.sample()));
        assertCleanAndShot(r);
        assertThat(count(r.dom(), "<svg id=\"chart-[a-z]+\"")).isEqualTo(5);
        assertThat(count(r.dom(), "<tr class=\"mode")).isEqualTo(3);
        assertThat(r.dom()).contains("earns its keep").contains("mostly wasted");
    }

    /** The checks above can fail: a page with a script error is caught both by the hook and the console log. */
    @Test
    void scriptErrorsAreCaught() throws Exception {
        StringBuilder sb = new StringBuilder();
        Html.open(sb, "broken", "");
        sb.append("<p>broken page</p>");
        Html.close(sb, "undefinedFunctionCall();");
        var r = open("broken", sb.toString());
        assertThat(r.dom()).containsPattern("<pre id=\"js-errors\"[^>]*>[^<]*undefinedFunctionCall is not defined");
        assertThat(r.consoleLines()).anySatisfy(l -> assertThat(l).contains("undefinedFunctionCall"));
    }
}
