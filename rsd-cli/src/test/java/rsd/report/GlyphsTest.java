package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import rsd.report.Glyphs.Kind;
import rsd.report.Glyphs.Run;

class GlyphsTest {
    private static List<Run> runs(String s) {
        return Glyphs.runs(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void sevenSpacesAreOneVisibleRun() {
        assertThat(runs("       ")).containsExactly(new Run(Kind.SPACE, "\u00b7".repeat(7)));
    }

    @Test
    void punctuationThenNewline() {
        assertThat(runs("):\n")).containsExactly(new Run(Kind.TEXT, "):"), new Run(Kind.NEWLINE, "\u21b5"));
        assertThat(runs("\n\n")).containsExactly(new Run(Kind.NEWLINE, "\u21b5"), new Run(Kind.NEWLINE, "\u21b5"));
    }

    @Test
    void tabsAndLeadingSpace() {
        assertThat(runs("\t\tx")).containsExactly(new Run(Kind.TAB, "\u21e5\u21e5"), new Run(Kind.TEXT, "x"));
        assertThat(runs(" return")).containsExactly(new Run(Kind.SPACE, "\u00b7"), new Run(Kind.TEXT, "return"));
    }

    @Test
    void halfACharacterShowsItsBytes() {
        byte[] euroStart = {(byte) 0xE2, (byte) 0x82};
        assertThat(Glyphs.runs(euroStart)).containsExactly(new Run(Kind.BYTE, "\\xE2\\x82"));
        assertThat(Glyphs.literal(euroStart)).isEqualTo("\"\\xE2\\x82\"");
        assertThat(Glyphs.runs(new byte[] {' ', (byte) 0xE2})).containsExactly(new Run(Kind.SPACE, "\u00b7"),
                new Run(Kind.BYTE, "\\xE2"));
    }

    @Test
    void literalsEscapeLikeSourceCode() {
        assertThat(Glyphs.literal("):\n".getBytes(StandardCharsets.UTF_8))).isEqualTo("\"):\\n\"");
        assertThat(Glyphs.literal("a\"b\\\t".getBytes(StandardCharsets.UTF_8))).isEqualTo("\"a\\\"b\\\\\\t\"");
        assertThat(Glyphs.literal("\u00e9".getBytes(StandardCharsets.UTF_8))).isEqualTo("\"\u00e9\"");
    }

    @Test
    void controlCharactersStayVisible() {
        assertThat(runs("\r\n")).containsExactly(new Run(Kind.CONTROL, "\u240d"), new Run(Kind.NEWLINE, "\u21b5"));
        assertThat(runs("\u0000")).containsExactly(new Run(Kind.CONTROL, "\u2400"));
        assertThat(runs("\u00a0")).containsExactly(new Run(Kind.CONTROL, "\u237d"));
    }

    @Test
    void whitespaceOnly() {
        assertThat(Glyphs.isWhitespaceOnly(" \n\t".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(Glyphs.isWhitespaceOnly(" x".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(Glyphs.isWhitespaceOnly(new byte[0])).isFalse();
    }

    /** Whatever the bytes, the page shows something for every byte: nothing vanishes from view. */
    @Property(tries = 300)
    void everyByteIsShown(@ForAll byte[] bytes) {
        List<Run> runs = Glyphs.runs(bytes);
        String shown = runs.stream().map(Run::text).reduce("", String::concat);
        assertThat(bytes.length == 0 || !shown.isEmpty()).isTrue();
        assertThat(shown).doesNotContain(" ").doesNotContain("\n").doesNotContain("\t");
        assertThat(PageTokens.bytes(htmlOf(runs))).isEqualTo(bytes);
    }

    /** Text (valid UTF-8) round-trips too, as long as it has no non-ASCII spaces (those share one glyph). */
    @Property(tries = 300)
    void everyCharacterIsShown(@ForAll String s) {
        Assume.that(s.codePoints().noneMatch(cp -> cp > 0x7f && (Character.isWhitespace(cp) || Character.isSpaceChar(cp))));
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        assertThat(PageTokens.bytes(htmlOf(Glyphs.runs(bytes)))).isEqualTo(bytes);
    }

    /** The runs as the HTML renderer writes them (for the round-trip property above). */
    private static String htmlOf(List<Run> runs) {
        StringBuilder sb = new StringBuilder();
        for (Run r : runs) {
            switch (r.kind()) {
                case TEXT -> sb.append(Html.esc(r.text()));
                case SPACE, TAB -> sb.append("<span class=\"ws\">").append(r.text()).append("</span>");
                case NEWLINE -> sb.append("<span class=\"nl\">").append(r.text()).append("</span>\n");
                case CONTROL -> sb.append("<span class=\"ctl\">").append(Html.esc(r.text())).append("</span>");
                case BYTE -> sb.append("<span class=\"bx\">").append(Html.esc(r.text())).append("</span>");
            }
        }
        return sb.toString();
    }
}
