package rsd.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.TextGenerator;
import rsd.decode.TokenListener;
import rsd.metrics.RuleStats;
import rsd.metrics.StepTrace;
import rsd.tokenizer.Tokenizer;

/**
 * A deterministic test generator over {@link ByteTokenizer}: it "generates" the bytes of a fixed text,
 * starting at an offset derived from the prompt (so different prompts give different outputs), one token
 * every {@code delayMillis}. It honours max tokens, stop strings (holding back text that could still
 * become a stop string, like the real decoder), an end-of-text token when the prompt asks for one
 * ("[eos@N]"), and cancellation. Tokens come in steps of two, as from a speculative decoder: each step
 * verifies two guesses of rule "fake", accepts the first and emits the model's own token in place of the
 * second (a generation that ends on a step's guess ends that step early); the result's steps say so.
 */
class ScriptedGenerator implements TextGenerator {
    static final String SCRIPT = "The quick brown fox jumps over the lazy dog; ünïcödé ✓ 🦊. ";
    static final byte[] SCRIPT_BYTES = SCRIPT.getBytes(StandardCharsets.UTF_8);

    /** Generations in progress across all instances (tests read the peak). */
    static final AtomicInteger RUNNING = new AtomicInteger();
    static final AtomicInteger PEAK = new AtomicInteger();

    private final ByteTokenizer tokenizer = new ByteTokenizer();
    private final long delayMillis;

    ScriptedGenerator(long delayMillis) {
        this.delayMillis = delayMillis;
    }

    /** The text an unlimited, stop-free generation would produce for these prompt ids, cut to n tokens. */
    static String expected(int[] promptIds, int n) {
        int offset = offset(promptIds);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = SCRIPT_BYTES[(offset + i) % SCRIPT_BYTES.length];
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static int offset(int[] promptIds) {
        long sum = 0;
        for (int id : promptIds) {
            sum = sum * 31 + id;
        }
        // Start on an ASCII byte so that cut points are predictable in tests.
        int o = (int) Math.floorMod(sum, 40);
        return o;
    }

    @Override
    public GenerationResult generate(int[] promptIds, GenerationSettings settings, TokenListener listener,
                                     BooleanSupplier cancelled) {
        int now = RUNNING.incrementAndGet();
        PEAK.accumulateAndGet(now, Math::max);
        try {
            return run(promptIds, settings, listener, cancelled);
        } finally {
            RUNNING.decrementAndGet();
        }
    }

    private GenerationResult run(int[] promptIds, GenerationSettings settings, TokenListener listener,
                                 BooleanSupplier cancelled) {
        long start = System.nanoTime();
        String promptText = tokenizer.decode(promptIds);
        int eosAt = -1;
        int mark = promptText.indexOf("[eos@");
        if (mark >= 0) {
            eosAt = Integer.parseInt(promptText.substring(mark + 5, promptText.indexOf(']', mark)));
        }
        int offset = offset(promptIds);
        List<Integer> ids = new ArrayList<>();
        var decoder = tokenizer.streamingDecoder();
        StringBuilder text = new StringBuilder();
        int emitted = 0;
        String reason = "length";
        String finalText = null;
        while (ids.size() < settings.maxTokens()) {
            if (cancelled.getAsBoolean()) {
                reason = "cancelled";
                break;
            }
            sleep(cancelled);
            if (cancelled.getAsBoolean()) {
                reason = "cancelled";
                break;
            }
            int id = ids.size() == eosAt ? ByteTokenizer.EOS : SCRIPT_BYTES[(offset + ids.size()) % SCRIPT_BYTES.length] & 0xff;
            ids.add(id);
            if (tokenizer.isEndOfGeneration(id)) {
                reason = "eos";
                if (listener != null) { // as the decoder does: the end token is emitted, with no text
                    listener.onToken(id, "", (ids.size() & 1) == 1);
                }
                break;
            }
            text.append(decoder.push(id));
            int stopAt = firstStop(text, settings.stopStrings());
            if (stopAt >= 0) {
                finalText = text.substring(0, stopAt);
                if (listener != null) {
                    listener.onToken(id, finalText.substring(Math.min(emitted, finalText.length())), (ids.size() & 1) == 1);
                }
                reason = "stop";
                break;
            }
            int safe = text.length() - heldBack(text, settings.stopStrings());
            String delta = safe > emitted ? text.substring(emitted, safe) : "";
            emitted = Math.max(emitted, safe);
            if (listener != null) {
                listener.onToken(id, delta, (ids.size() & 1) == 1);
            }
        }
        if (finalText == null) {
            text.append(decoder.flush());
            finalText = text.toString();
        }
        int n = ids.size();
        double secs = (System.nanoTime() - start) / 1e9;
        List<StepTrace> steps = new ArrayList<>();
        for (int i = 0; i < n; i += 2) {
            int guess = ids.get(i);
            int position = promptIds.length - 1 + i;
            if (i + 1 < n) {
                int own = ids.get(i + 1);
                steps.add(new StepTrace(position, new int[] {guess, (own + 1) % 256}, new String[] {"fake", "fake"}, 1,
                        own, 2, 0));
            } else {
                steps.add(new StepTrace(position, new int[] {guess}, new String[] {"fake"}, 1, -1, 1, 0));
            }
        }
        long drafted = n;
        long accepted = steps.size();
        int forwards = Math.max(1, steps.size());
        return new GenerationResult(finalText, ids.stream().mapToInt(Integer::intValue).toArray(), promptIds.length, n,
                secs, secs > 0 ? n / secs : 0, forwards, n == 0 ? 0 : (double) n / forwards,
                drafted, accepted, drafted == 0 ? 0 : (double) accepted / drafted,
                Map.of("fake", new RuleStats(drafted, accepted)), reason, steps);
    }

    private void sleep(BooleanSupplier cancelled) {
        long end = System.nanoTime() + delayMillis * 1_000_000;
        while (System.nanoTime() < end && !cancelled.getAsBoolean()) {
            try {
                Thread.sleep(Math.min(5, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static int firstStop(CharSequence text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            int at = text.toString().indexOf(s);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** Length of the longest suffix of text that is a proper prefix of a stop string. */
    private static int heldBack(CharSequence text, List<String> stops) {
        int held = 0;
        String t = text.toString();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, t.length()); k > held; k--) {
                if (t.endsWith(s.substring(0, k))) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public String mode() {
        return "scripted";
    }
}
