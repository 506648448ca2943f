package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import rsd.decode.GrowingContext;
import rsd.error.RsdException;
import rsd.tokenizer.Cl100kVocabulary;

class PatternDrafterTest {
    private static final rsd.tokenizer.Tokenizer TOK = Cl100kVocabulary.tokenizer();

    private static String propose(PatternDrafter d, String text, int max) {
        return TOK.decode(d.propose(new GrowingContext(TOK, TOK.encode(text)), max).tokens());
    }

    @Test
    void followsTheLongestContextAndChainsWhileFrequentEnough() {
        List<PatternTable.Entry> entries = List.of(
                new PatternTable.Entry(List.of(" in"), " range", 60),
                new PatternTable.Entry(List.of(" for", " i", " in"), " enumerate", 70),
                new PatternTable.Entry(List.of(" range"), "(len", 55),
                new PatternTable.Entry(List.of("(len"), "(x", 20));
        PatternDrafter d = new PatternDrafter(entries, 50);
        assertThat(propose(d, "    for i in", 4)).isEqualTo(" enumerate");
        assertThat(propose(d, "    while x in", 4)).isEqualTo(" range(len"); // stops: 20 % < 50 %
        assertThat(propose(d, "    while x in", 1)).isEqualTo(" range");
        assertThat(propose(d, "    x = y", 4)).isEmpty();
    }

    @Test
    void entriesRoundTripThroughTheFileFormatWithEscapes() throws Exception {
        List<PatternTable.Entry> entries = List.of(new PatternTable.Entry(List.of("):\n", "\t\\x"), "   ", 88));
        StringWriter w = new StringWriter();
        PatternTable.write(entries, w);
        var back = PatternTable.read(new ByteArrayInputStream(w.toString().getBytes(StandardCharsets.UTF_8)), "t");
        assertThat(back).isEqualTo(entries);
    }

    @Test
    void malformedLinesNameTheSourceAndLine() {
        byte[] bad = "# header\na\tb\tlots\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PatternTable.read(new ByteArrayInputStream(bad), "p.tsv"))
                .isInstanceOf(RsdException.class).hasMessageContaining("p.tsv:2").hasMessageContaining("lots");
    }

    @Test
    void piecesMissingFromTheVocabularyAreDropped() {
        var table = PatternTable.forTokenizer(List.of(
                new PatternTable.Entry(List.of("no-such-piece-xyz"), " x", 90),
                new PatternTable.Entry(List.of(" in"), " range", 90)), TOK);
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void theShippedTableIsCompactAndPredictsPythonStructure() {
        List<PatternTable.Entry> shipped = PatternTable.readResource();
        assertThat(shipped.size()).isBetween(1_000, 60_000);
        assertThat(PatternTable.forTokenizer(shipped, TOK).size()).isGreaterThan(shipped.size() * 9 / 10);
        PatternDrafter d = new PatternDrafter();
        // after a signature line the indentation token is the overwhelming continuation
        assertThat(propose(d, "class A:\n    def f(self):\n", 1)).isEqualTo("       ");
    }

    @Test
    void shippedTablesStayUnder300KilobytesTogether() throws Exception {
        long bytes = 0;
        for (String r : PatternDrafter.SHIPPED) {
            try (var in = PatternDrafter.class.getResourceAsStream(r)) {
                assertThat(in).as(r).isNotNull();
                bytes += in.readAllBytes().length;
            }
        }
        assertThat(bytes).isLessThan(300_000);
    }

    @Test
    void heldOutRuleMatchesTheTrainingCorpusSplit() {
        // crc32("gzip.py") % 20 != 0: gzip.py is in the training corpus's train split
        assertThat(PatternMiner.heldOut("gzip.py")).isFalse();
        long heldOut = java.util.stream.IntStream.range(0, 2000).filter(i -> PatternMiner.heldOut("f" + i + ".py")).count();
        assertThat(heldOut).isBetween(60L, 140L); // about 1 in 20
    }

    @Test
    void minerKeepsFrequentConfidentContinuationsAndSkipsHeldOutFiles() {
        PatternMiner miner = new PatternMiner(TOK, new PatternMiner.Options(3, 60, 1000, 1 << 20));
        String code = "def f(self):\n    return self.value\n\n";
        for (int i = 0; i < 40; i++) {
            String path = "pkg/m" + i + ".py";
            miner.addFile(path, code.repeat(3).getBytes(StandardCharsets.UTF_8));
        }
        miner.addFile("tests/x.py", "zzz qqq zzz qqq zzz qqq".repeat(50).getBytes(StandardCharsets.UTF_8));
        List<PatternTable.Entry> entries = miner.mine();
        assertThat(entries).anySatisfy(e -> {
            assertThat(e.context()).endsWith(" return");
            assertThat(e.next()).isEqualTo(" self");
        });
        assertThat(entries).noneSatisfy(e -> assertThat(e.next()).isEqualTo(" qqq"));
        var s = miner.summary(entries.size());
        assertThat(s.files() + s.heldOut()).isEqualTo(40);
    }
}
