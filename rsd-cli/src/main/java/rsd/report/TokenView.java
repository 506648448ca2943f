package rsd.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rsd.error.RsdException;
import rsd.metrics.StepTrace;
import rsd.tokenizer.Tokenizer;

/**
 * What a tokenizer made of a text, or what happened at every step of a traced generation, ready to be
 * rendered as a self-contained HTML page ({@link #toHtml}) or with ANSI colours for a terminal
 * ({@link #toAnsi}). Both show token boundaries, whitespace made visible, a per-rule table (traces) and a
 * summary of the whitespace tokens used.
 */
public final class TokenView {
    /** The largest palette for alternating token colours; more would not be told apart anyway. */
    public static final int MAX_PALETTE = 64;

    enum Role { TEXT, PROMPT, ACCEPTED, REJECTED, MODEL }

    /**
     * One shown token; {@code step} is the decoding step (trace) or -1, {@code rule} null unless guessed;
     * {@code otherBranch}: a rejected guess of a tree branch the step did not follow.
     */
    record Tok(int id, byte[] bytes, Role role, String rule, int step, boolean special, boolean otherBranch) {
    }

    /** Drafted and accepted guesses of one rule; {@code colour} indexes the rule palette. */
    record RuleRow(String rule, long drafted, long accepted, int colour) {
        double rate() {
            return drafted == 0 ? Double.NaN : (double) accepted / drafted;
        }
    }

    /**
     * One whitespace-only token and how often it occurs: in the prompt, in the text/generation, at the start
     * of a line (indentation), and how many of its generated occurrences were accepted guesses.
     */
    record SpaceRow(int id, byte[] bytes, String kind, int width, long inPrompt, long inBody, long atLineStart,
                    long guessed) {
        long total() {
            return inPrompt + inBody;
        }
    }

    final String source;
    final Trace trace; // null for a plain text view
    final List<Tok> prompt;
    final List<Tok> body;
    final List<RuleRow> rules;
    final List<SpaceRow> spaces;

    /**
     * The whitespace-only tokens a vocabulary holds, by kind: how many, and which widths (in characters) exist.
     * Shows at a glance up to which indentation the model writes in one token.
     */
    record VocabSpaces(String kind, int count, List<Integer> widths) {
    }

    final List<VocabSpaces> vocabSpaces;

    private TokenView(Tokenizer tokenizer, String source, Trace trace, List<Tok> prompt, List<Tok> body) {
        this.source = source;
        this.trace = trace;
        this.prompt = prompt;
        this.body = body;
        this.rules = trace == null ? List.of() : ruleRows(trace.steps());
        this.spaces = spaceRows(prompt, body);
        this.vocabSpaces = vocabSpaces(tokenizer);
    }

    /**
     * The tokens of a text.
     *
     * @param source what the ids came from, for the page title (a file name, "text")
     */
    public static TokenView ofIds(Tokenizer tokenizer, int[] ids, String source) {
        List<Tok> body = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            body.add(tok(tokenizer, ids[i], Role.TEXT, null, -1, source + " token " + i, false));
        }
        return new TokenView(tokenizer, source, null, List.of(), body);
    }

    /**
     * The prompt and every step of a traced generation: accepted and rejected guesses with their rules, and
     * the model's own tokens. Ids outside the tokenizer's vocabulary are an RsdException (a trace made with a
     * different model).
     */
    public static TokenView ofTrace(Tokenizer tokenizer, Trace trace, String source) {
        List<Tok> prompt = new ArrayList<>();
        for (int id : trace.promptIds()) {
            prompt.add(tok(tokenizer, id, Role.PROMPT, null, -1, source + " prompt", false));
        }
        List<Tok> body = new ArrayList<>();
        List<StepTrace> steps = trace.steps();
        for (int s = 0; s < steps.size(); s++) {
            StepTrace st = steps.get(s);
            String where = source + " step " + (s + 1);
            for (int i = 0; i < st.guessed().length; i++) {
                Role role = i < st.accepted() ? Role.ACCEPTED : Role.REJECTED;
                body.add(tok(tokenizer, st.guessed()[i], role, st.rules()[i], s, where, false));
            }
            // the branches verified in the same forward and not followed, after the followed one
            for (StepTrace.Branch b : st.otherBranches()) {
                for (int i = 0; i < b.guessed().length; i++) {
                    body.add(tok(tokenizer, b.guessed()[i], Role.REJECTED, b.rules()[i], s, where, true));
                }
            }
            if (st.modelToken() >= 0) {
                body.add(tok(tokenizer, st.modelToken(), Role.MODEL, null, s, where, false));
            }
        }
        return new TokenView(tokenizer, source, trace, prompt, body);
    }

    private static Tok tok(Tokenizer tokenizer, int id, Role role, String rule, int step, String where,
                           boolean otherBranch) {
        if (id < 0 || id >= tokenizer.vocabSize()) {
            throw new RsdException(where + ": token id " + id + " is outside the vocabulary (0.."
                    + (tokenizer.vocabSize() - 1) + "); was it made with a different model?");
        }
        return new Tok(id, tokenizer.tokenBytes(id), role, rule, step, tokenizer.isSpecial(id), otherBranch);
    }

    /** The page as one self-contained HTML document. */
    public String toHtml(int maxColors) {
        return new TokenViewHtml(this, checkColors(maxColors)).render();
    }

    /** The same view for a terminal: ANSI 256-colour escapes, then the tables as plain text. */
    public String toAnsi(int maxColors) {
        return new TokenViewAnsi(this, checkColors(maxColors)).render();
    }

    public void writeHtml(Path out, int maxColors) {
        String html = toHtml(maxColors);
        try {
            Files.writeString(out, html, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RsdException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    static int checkColors(int maxColors) {
        if (maxColors < 2 || maxColors > MAX_PALETTE) {
            throw new RsdException("--max-colors must be between 2 and " + MAX_PALETTE + " (got " + maxColors
                    + "): with fewer than 2 colours neighbouring tokens look alike");
        }
        return maxColors;
    }

    boolean isTrace() {
        return trace != null;
    }

    /** Tokens that end up in the text: everything except rejected guesses. */
    long emitted(List<Tok> toks) {
        return toks.stream().filter(t -> t.role() != Role.REJECTED).count();
    }

    long count(Role role) {
        return body.stream().filter(t -> t.role() == role).count();
    }

    /** The text the tokens spell (rejected guesses left out), bytes joined first so split characters mend. */
    static String text(List<Tok> toks) {
        var bytes = new java.io.ByteArrayOutputStream();
        for (Tok t : toks) {
            if (t.role() != Role.REJECTED) {
                bytes.writeBytes(t.bytes());
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static List<RuleRow> ruleRows(List<StepTrace> steps) {
        Map<String, long[]> by = new LinkedHashMap<>();
        for (StepTrace st : steps) {
            for (int i = 0; i < st.guessed().length; i++) {
                long[] c = by.computeIfAbsent(st.rules()[i], k -> new long[2]);
                c[0]++;
                if (i < st.accepted()) {
                    c[1]++;
                }
            }
            // other branches' tokens were drafted too (and rejected); a node shared by two of them counts once
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (StepTrace.Branch b : st.otherBranches()) {
                for (int i = 0; i < b.guessed().length; i++) {
                    if (seen.add(b.from() + ":" + java.util.Arrays.toString(java.util.Arrays.copyOf(b.guessed(), i + 1)))) {
                        by.computeIfAbsent(b.rules()[i], k -> new long[2])[0]++;
                    }
                }
            }
        }
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(by.entrySet());
        // Most useful first: tokens saved, then fewer wasted guesses.
        sorted.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[1])
                .thenComparingLong(e -> e.getValue()[0]).thenComparing(Map.Entry::getKey));
        List<RuleRow> rows = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i++) {
            var e = sorted.get(i);
            rows.add(new RuleRow(e.getKey(), e.getValue()[0], e.getValue()[1], i));
        }
        return List.copyOf(rows);
    }

    private static List<SpaceRow> spaceRows(List<Tok> prompt, List<Tok> body) {
        Map<Integer, long[]> by = new LinkedHashMap<>();
        Map<Integer, byte[]> bytesOf = new LinkedHashMap<>();
        boolean lineStart = true;
        for (List<Tok> part : List.of(prompt, body)) {
            boolean isPrompt = part == prompt;
            for (Tok t : part) {
                if (t.role() == Role.REJECTED) {
                    continue;
                }
                if (!t.special() && Glyphs.isWhitespaceOnly(t.bytes())) {
                    long[] c = by.computeIfAbsent(t.id(), k -> new long[4]);
                    bytesOf.putIfAbsent(t.id(), t.bytes());
                    c[isPrompt ? 0 : 1]++;
                    if (lineStart) {
                        c[2]++;
                    }
                    if (t.role() == Role.ACCEPTED) {
                        c[3]++;
                    }
                }
                lineStart = Glyphs.endsWithNewline(t.bytes());
            }
        }
        List<SpaceRow> rows = new ArrayList<>();
        by.forEach((id, c) -> {
            byte[] b = bytesOf.get(id);
            rows.add(new SpaceRow(id, b, kind(b), b.length, c[0], c[1], c[2], c[3]));
        });
        rows.sort(Comparator.comparing(SpaceRow::kind).thenComparingInt(SpaceRow::width)
                .thenComparingInt(SpaceRow::id));
        return List.copyOf(rows);
    }

    static List<VocabSpaces> vocabSpaces(Tokenizer tokenizer) {
        Map<String, java.util.TreeSet<Integer>> widths = new java.util.TreeMap<>();
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.isSpecial(id)) {
                continue;
            }
            byte[] b = tokenizer.tokenBytes(id);
            if (Glyphs.isWhitespaceOnly(b)) {
                String k = kind(b);
                counts.merge(k, 1, Integer::sum);
                widths.computeIfAbsent(k, x -> new java.util.TreeSet<>()).add(b.length);
            }
        }
        List<VocabSpaces> out = new ArrayList<>();
        counts.forEach((k, n) -> out.add(new VocabSpaces(k, n, List.copyOf(widths.get(k)))));
        return List.copyOf(out);
    }

    /** "1-16, 18, 20-23": runs of consecutive widths written as ranges. */
    static String ranges(List<Integer> sorted) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < sorted.size()) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
                j++;
            }
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(sorted.get(i));
            if (j > i) {
                sb.append(j == i + 1 ? ", " : "\u2013").append(sorted.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }

    static String kind(byte[] b) {
        boolean space = false;
        boolean tab = false;
        boolean nl = false;
        for (byte x : b) {
            space |= x == ' ';
            tab |= x == '\t';
            nl |= x == '\n' || x == '\r';
        }
        int kinds = (space ? 1 : 0) + (tab ? 1 : 0) + (nl ? 1 : 0);
        if (kinds > 1) {
            return "mixed";
        }
        return space ? "spaces" : tab ? "tabs" : "newlines";
    }

    @Override
    public String toString() {
        return "TokenView[" + source + ", " + body.size() + " tokens" + (trace == null ? "" : ", trace") + "]";
    }
}
