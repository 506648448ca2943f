package rsd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * Our BPE on the cl100k vocabulary, with cl100k's own regex, must give exactly the ids of jtokkit (an
 * independent cl100k implementation) on real code: every .py file of the CPython standard library and every
 * .java file of the JDK's src.zip. These corpora are part of the CI machine; if they are missing the test
 * fails rather than silently checking nothing.
 */
class Cl100kCorpusTest {
    static final Path PYTHON_LIB = Path.of("/usr/lib/python3.11");
    static final Path JDK_SRC = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/lib/src.zip");
    private static final Encoding JTOKKIT = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    record Doc(String name, String text) {
    }

    /** Files that are not valid UTF-8 are skipped (cl100k encodes text, not bytes). */
    static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static List<Doc> pythonFiles() throws IOException {
        assertTrue(Files.isDirectory(PYTHON_LIB), "corpus missing: " + PYTHON_LIB
                + " (the CPython 3.11 standard library must be installed for this test)");
        List<Doc> docs = new ArrayList<>();
        List<Path> paths;
        try (Stream<Path> s = Files.walk(PYTHON_LIB)) {
            paths = s.filter(p -> p.toString().endsWith(".py") && Files.isRegularFile(p)).sorted().toList();
        }
        for (Path p : paths) {
            String text = strictUtf8(Files.readAllBytes(p));
            if (text != null) {
                docs.add(new Doc(p.toString(), text));
            }
        }
        return docs;
    }

    /**
     * Compares all documents in parallel (jtokkit runs once per document, each tokenizer is compared with
     * it); returns a description of the first few mismatches.
     */
    static List<String> compare(List<Doc> docs, List<Tokenizer> ours, AtomicLong bytes) {
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        docs.parallelStream().forEach(d -> {
            int[] expected = JTOKKIT.encodeOrdinary(d.text()).toArray();
            bytes.addAndGet(d.text().getBytes(StandardCharsets.UTF_8).length);
            for (int k = 0; k < ours.size(); k++) {
                int[] actual = ours.get(k).encode(d.text());
                if (!Arrays.equals(expected, actual) && problems.size() < 5) {
                    problems.add("tokenizer " + k + ", " + describe(d.name(), expected, actual, ours.get(k)));
                }
            }
        });
        return problems;
    }

    static String describe(String name, int[] expected, int[] actual, Tokenizer t) {
        int i = Arrays.mismatch(expected, actual);
        int from = Math.max(0, i - 3);
        return name + ": first difference at token " + i + "; jtokkit " + pieces(expected, from, i + 4, t)
                + " ours " + pieces(actual, from, i + 4, t);
    }

    private static String pieces(int[] ids, int from, int to, Tokenizer t) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = from; k < Math.min(to, ids.length); k++) {
            sb.append(k > from ? ", " : "").append(ids[k]).append('=').append(t.piece(ids[k]).replace("\n", "\\n"));
        }
        return sb.append(']').toString();
    }

    @Test
    void pythonStandardLibraryMatchesJtokkitWithRegexAndWithScanner() throws IOException {
        List<Doc> docs = pythonFiles();
        assertTrue(docs.size() >= 500, "expected the whole standard library, found only " + docs.size() + " .py files");
        AtomicLong bytes = new AtomicLong();
        // Tokenizer 0: cl100k's regex (tiktoken's exact setup). Tokenizer 1: the production llama-bpe
        // scanner, which must give the same ids because the two patterns mean the same thing.
        List<String> problems = compare(docs, List.of(Cl100kVocabulary.withCl100kRegex(), Cl100kVocabulary.tokenizer()), bytes);
        if (!problems.isEmpty()) {
            fail("ids differ from jtokkit on " + docs.size() + " files (" + bytes + " bytes):\n" + String.join("\n", problems));
        }
    }

    @Test
    void jdkSourcesMatchJtokkit() throws IOException {
        assertTrue(Files.isRegularFile(JDK_SRC), "corpus missing: " + JDK_SRC
                + " (a Temurin 25 JDK with lib/src.zip must be installed for this test)");
        Tokenizer ours = Cl100kVocabulary.withCl100kRegex();
        AtomicLong bytes = new AtomicLong();
        AtomicInteger files = new AtomicInteger();
        List<String> problems = new ArrayList<>();
        try (ZipFile zip = new ZipFile(JDK_SRC.toFile())) {
            // Batches of ~16 MB keep memory flat while both cores work on a batch.
            List<Doc> batch = new ArrayList<>();
            long batchBytes = 0;
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements() && problems.isEmpty()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory() || !e.getName().endsWith(".java")) {
                    continue;
                }
                byte[] b;
                try (InputStream in = zip.getInputStream(e)) {
                    b = in.readAllBytes();
                }
                String text = strictUtf8(b);
                if (text == null) {
                    continue;
                }
                batch.add(new Doc(e.getName(), text));
                files.incrementAndGet();
                batchBytes += b.length;
                if (batchBytes > 16_000_000 || !entries.hasMoreElements()) {
                    problems.addAll(compare(batch, List.of(ours), bytes));
                    batch.clear();
                    batchBytes = 0;
                }
            }
            problems.addAll(compare(batch, List.of(ours), bytes));
        }
        assertTrue(problems.isEmpty(), "ids differ from jtokkit:\n" + String.join("\n", problems));
        assertTrue(files.get() >= 10_000, "expected the JDK's ~15,000 .java files, found only " + files);
    }

    @Test
    void everyTokenEncodesToItself() {
        // A property of a consistent vocabulary and merge list: the bytes of token r, encoded alone, give
        // exactly [r]. It exercises every one of the 100,256 tokens, also those real code never reaches.
        BpeTokenizer t = (BpeTokenizer) Cl100kVocabulary.tokenizer();
        byte[][] tokens = Cl100kVocabulary.rankedTokens();
        List<String> wrong = new ArrayList<>();
        for (int r = 0; r < tokens.length; r++) {
            int[] ids = t.bpe(tokens[r], tokens[r].length);
            if (ids.length != 1 || ids[0] != r) {
                wrong.add(r + "=" + Arrays.toString(ids));
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " tokens do not encode to themselves, e.g. "
                + wrong.subList(0, Math.min(5, wrong.size())));
    }
}
