package rsd.draft;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import rsd.error.RsdException;
import rsd.tokenizer.Tokenizer;

/**
 * Token n-gram continuation table: for a context of 1..{@link #MAX_ORDER} previous pieces, the most
 * frequent next piece and how often it followed (percent). Entries are stored as PIECES (token texts),
 * so one mined table serves every Llama-3-family vocabulary: {@link #forTokenizer} maps them to ids
 * with {@link Tokenizer#idOf} and drops the few a vocabulary lacks.
 *
 * <p>File format (UTF-8 text, usually gzip-compressed): one entry per line, fields separated by TAB:
 * context pieces (1..4), next piece, percent. Pieces escape backslash, tab, newline and carriage return
 * as {@code \\ \t \n \r}. Lines starting with '#' are comments.
 */
public final class PatternTable {
    public static final int MAX_ORDER = 4;
    /** The table mined from the project's training corpus, shipped inside the jar. */
    public static final String RESOURCE = "/rsd/draft/patterns.tsv.gz";

    /** A mined entry in piece form. */
    public record Entry(List<String> context, String next, int percent) {
    }

    private final Map<Long, Long> byContext; // context hash -> (next id << 8 | percent)

    private PatternTable(Map<Long, Long> byContext) {
        this.byContext = byContext;
    }

    /** Entries of the shipped resource. */
    public static List<Entry> readResource() {
        return readResource(RESOURCE);
    }

    /** Entries of a gzip-compressed table on the classpath. */
    public static List<Entry> readResource(String resource) {
        InputStream in = PatternTable.class.getResourceAsStream(resource);
        if (in == null) {
            throw new RsdException("pattern table " + resource + " is missing from the classpath");
        }
        try (InputStream gz = new GZIPInputStream(in)) {
            return read(gz, resource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses entries; {@code source} names the input in error messages. */
    public static List<Entry> read(InputStream in, String source) throws IOException {
        List<Entry> entries = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length < 3 || f.length > MAX_ORDER + 2) {
                throw new RsdException(source + ":" + lineNo + ": expected 1-" + MAX_ORDER
                        + " context pieces, a next piece and a percent separated by tabs");
            }
            List<String> context = new ArrayList<>();
            for (int i = 0; i < f.length - 2; i++) {
                context.add(unescape(f[i]));
            }
            int percent;
            try {
                percent = Integer.parseInt(f[f.length - 1]);
            } catch (NumberFormatException e) {
                throw new RsdException(source + ":" + lineNo + ": percent '" + f[f.length - 1] + "' is not a number");
            }
            entries.add(new Entry(context, unescape(f[f.length - 2]), percent));
        }
        return entries;
    }

    /** Writes entries in the file format (uncompressed). */
    public static void write(List<Entry> entries, Writer out) throws IOException {
        for (Entry e : entries) {
            StringBuilder sb = new StringBuilder();
            for (String p : e.context()) {
                sb.append(escape(p)).append('\t');
            }
            sb.append(escape(e.next())).append('\t').append(e.percent()).append('\n');
            out.write(sb.toString());
        }
    }

    /** Maps piece entries to the ids of one vocabulary. */
    public static PatternTable forTokenizer(List<Entry> entries, Tokenizer tokenizer) {
        Map<String, Integer> ids = new HashMap<>();
        Map<Long, Long> table = new HashMap<>(entries.size() * 2);
        outer:
        for (Entry e : entries) {
            int[] context = new int[e.context().size()];
            for (int i = 0; i < context.length; i++) {
                context[i] = ids.computeIfAbsent(e.context().get(i), tokenizer::idOf);
                if (context[i] < 0) {
                    continue outer;
                }
            }
            int next = ids.computeIfAbsent(e.next(), tokenizer::idOf);
            if (next >= 0) {
                table.put(hash(context, 0, context.length), ((long) next << 8) | e.percent());
            }
        }
        return new PatternTable(table);
    }

    public int size() {
        return byContext.size();
    }

    /**
     * The continuation of the longest stored context that ends at {@code end} in {@code tokens}: packed
     * as (next id << 16 | context order << 8 | percent), or -1.
     */
    long next(int[] tokens, int end) {
        for (int order = Math.min(MAX_ORDER, end); order >= 1; order--) {
            Long v = byContext.get(hash(tokens, end - order, end));
            if (v != null) {
                return ((v >>> 8) << 16) | ((long) order << 8) | (v & 0xFF);
            }
        }
        return -1;
    }

    /** Hash of a token run; the order is part of the hash so contexts of different lengths differ. */
    static long hash(int[] tokens, int from, int to) {
        long h = 0x9E3779B97F4A7C15L * (to - from + 1);
        for (int i = from; i < to; i++) {
            h = (h ^ tokens[i]) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    static String unescape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char d = s.charAt(++i);
                sb.append(switch (d) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    default -> d;
                });
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
