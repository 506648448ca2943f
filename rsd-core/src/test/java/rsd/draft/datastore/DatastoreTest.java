package rsd.draft.datastore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.error.RsdException;
import rsd.decode.Draft;
import rsd.decode.GrowingContext;
import rsd.tokenizer.Tokenizer;
import rsd.tokenizer.Cl100kVocabulary;

/** The datastore against brute force: suffix order, occurrence ranges, longest matches, and its file checks. */
class DatastoreTest {
    /** Files of random tokens over a small alphabet (many repeats) with a few copied passages. */
    static List<int[]> corpus(long seed) {
        Random r = new Random(seed);
        List<int[]> files = new ArrayList<>();
        int[] passage = r.ints(30, 0, 50).toArray();
        for (int f = 0; f < 20; f++) {
            int[] t = r.ints(50 + r.nextInt(200), 0, 6).toArray();
            if (f % 3 == 0) {
                System.arraycopy(passage, 0, t, 10, passage.length);
            }
            files.add(t);
        }
        return files;
    }

    static Path build(Path dir, List<int[]> files, int depth) throws IOException {
        DatastoreBuilder b = new DatastoreBuilder(depth);
        files.forEach(b::add);
        Path out = dir.resolve("store.rsdidx");
        AtomicLong sorted = new AtomicLong();
        b.write(out, tokenizer(), sorted::addAndGet);
        long tokens = files.stream().mapToLong(f -> f.length).sum();
        assertThat(sorted.get()).isEqualTo(tokens);
        return out;
    }

    static Tokenizer tokenizer() {
        return Cl100kVocabulary.tokenizer();
    }

    static int[] stream(List<int[]> files) {
        List<Integer> all = new ArrayList<>();
        for (int[] f : files) {
            for (int t : f) {
                all.add(t);
            }
            all.add(Datastore.SEPARATOR);
        }
        return all.stream().mapToInt(Integer::intValue).toArray();
    }

    static int occurrences(int[] s, int[] pattern) {
        int n = 0;
        for (int i = 0; i + pattern.length <= s.length; i++) {
            if (Arrays.equals(s, i, i + pattern.length, pattern, 0, pattern.length)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void suffixesAreOrderedAndRangesCountEveryOccurrence(@TempDir Path dir) throws IOException {
        List<int[]> files = corpus(1);
        int[] s = stream(files);
        try (Datastore d = Datastore.open(build(dir, files, 12), tokenizer())) {
            assertThat(d.tokenCount()).isEqualTo(s.length);
            assertThat(d.fileCount()).isEqualTo(20);
            for (long r = 1; r < d.suffixCount(); r++) {
                int a = d.suffix(r - 1);
                int b = d.suffix(r);
                assertThat(compare(s, a, b, 12)).as("rank %d", r).isLessThanOrEqualTo(0);
            }
            Random r = new Random(2);
            for (int q = 0; q < 300; q++) {
                int at = r.nextInt(s.length - 8);
                int len = 1 + r.nextInt(8);
                int[] pattern = Arrays.copyOfRange(s, at, at + len);
                if (Arrays.stream(pattern).anyMatch(t -> t < 0)) {
                    continue;
                }
                long[] range = d.range(pattern, 0, len);
                assertThat(range[1] - range[0]).as(Arrays.toString(pattern)).isEqualTo(occurrences(s, pattern));
            }
            assertThat(d.range(new int[] {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, 0, 11)).satisfies(x -> assertThat(x[1] - x[0])
                    .isEqualTo(occurrences(s, new int[] {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5})));
        }
    }

    private static int compare(int[] s, int a, int b, int depth) {
        for (int i = 0; i < depth; i++) {
            int x = a + i < s.length ? s[a + i] : -1;
            int y = b + i < s.length ? s[b + i] : -1;
            if (x != y) {
                return Integer.compare(x, y);
            }
            if (x == -1) {
                return 0;
            }
        }
        return 0;
    }

    @Test
    void longestMatchIsTheLongestSuffixThatOccurs(@TempDir Path dir) throws IOException {
        List<int[]> files = corpus(3);
        int[] s = stream(files);
        try (Datastore d = Datastore.open(build(dir, files, 24), tokenizer())) {
            Random r = new Random(4);
            for (int q = 0; q < 200; q++) {
                int[] context = r.ints(20, 0, q % 2 == 0 ? 6 : 60).toArray();
                long[] m = d.longestMatch(context, 16);
                int expected = 0;
                for (int k = 1; k <= 16; k++) {
                    if (occurrences(s, Arrays.copyOfRange(context, 20 - k, 20)) > 0) {
                        expected = k;
                    }
                }
                assertThat(m[0]).as(Arrays.toString(context)).isEqualTo(expected);
                if (expected > 0) {
                    assertThat(m[2] - m[1]).isEqualTo(occurrences(s, Arrays.copyOfRange(context, 20 - expected, 20)));
                }
            }
        }
    }

    @Test
    void drafterFollowsTheMostFrequentContinuationAndBranchesOnTheRunnerUp(@TempDir Path dir) throws IOException {
        // after 7 8 9: "1 2 3" three times, "4 5" twice (then the file ends), "6" once
        List<int[]> files = List.of(
                new int[] {7, 8, 9, 1, 2, 3}, new int[] {7, 8, 9, 1, 2, 3, 0}, new int[] {0, 7, 8, 9, 1, 2, 3},
                new int[] {7, 8, 9, 4, 5}, new int[] {7, 8, 9, 4, 5}, new int[] {7, 8, 9, 6});
        try (Datastore d = Datastore.open(build(dir, files, 16), tokenizer())) {
            DatastoreDrafter drafter = new DatastoreDrafter(d);
            GrowingContext context = new GrowingContext(tokenizer(), new int[] {11, 7, 8, 9});
            List<Draft> drafts = drafter.proposeAlternatives(context, 8);
            assertThat(drafts).hasSize(2);
            assertThat(drafts.get(0).tokens()).containsExactly(1, 2, 3);
            assertThat(drafts.get(1).tokens()).containsExactly(4, 5);
            assertThat(drafter.grade(0)).isEqualTo("3-4/35");
            assertThat(drafter.grade(1)).isEqualTo("alt3-4/0");
            assertThat(drafter.proposeAlternatives(context, 2).get(0).tokens()).containsExactly(1, 2);
            assertThat(drafter.proposeAlternatives(new GrowingContext(tokenizer(), new int[] {42}), 8)).isEmpty();
        }
    }

    @Test
    void aMissingTruncatedForeignOrOtherFileIsOneClearError(@TempDir Path dir) throws IOException {
        Path good = build(dir, corpus(5), 8);
        assertThatThrownBy(() -> Datastore.open(dir.resolve("none"), tokenizer()))
                .isInstanceOf(RsdException.class).hasMessageContaining("does not exist");
        Path cut = dir.resolve("cut");
        byte[] bytes = Files.readAllBytes(good);
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 4));
        assertThatThrownBy(() -> Datastore.open(cut, tokenizer()))
                .isInstanceOf(RsdException.class).hasMessageContaining("truncated");
        Path other = dir.resolve("other");
        Files.writeString(other, "x".repeat(100));
        assertThatThrownBy(() -> Datastore.open(other, tokenizer()))
                .isInstanceOf(RsdException.class).hasMessageContaining("not an rsd datastore");
        byte[] foreign = bytes.clone();
        foreign[20] ^= 1; // the vocabulary fingerprint
        Path f = dir.resolve("foreign");
        Files.write(f, foreign);
        assertThatThrownBy(() -> Datastore.open(f, tokenizer()))
                .isInstanceOf(RsdException.class).hasMessageContaining("another vocabulary");
    }
}
