package rsd.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import rsd.error.RsdException;
import rsd.metrics.RuleTally;
import rsd.metrics.StepTrace;
import rsd.model.LanguageModel;
import rsd.model.Session;
import rsd.tokenizer.Tokenizer;

/**
 * The generation loop, standard and speculative alike. It owns the model's KV cache (one {@link Session},
 * reused across calls). Each step feeds [last accepted token + guesses] in ONE forward pass (a token tree
 * when the speculator proposes several branches), keeps the longest prefix the model agrees with plus the
 * model's own next token, and truncates the cache past them. Without guesses this is plain decoding:
 * one forward per token.
 *
 * <p>The prompt minus its last token is prefilled; the last prompt token is the first step's input, so
 * the first generated token can already be speculated and standard decoding makes exactly one forward
 * per generated token.
 *
 * <p>Emitted tokens go one at a time through the same checks (end of generation, stop strings, length)
 * in every mode, so greedy output is token-for-token identical to standard decoding. Not thread-safe:
 * one generation at a time per instance.
 */
public final class Decoder implements TextGenerator, AutoCloseable {
    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final Speculator speculator;
    private final String mode;
    private final Verifier.AcceptanceRule acceptanceRule;
    /** The speculator, when it learns from each forward's logits and time (else null). */
    private final ForwardObserver observer;
    private Session session;
    /** The generation running now (null: none); a caller-driven one keeps it between steps. */
    private Run active;

    public Decoder(LanguageModel model, Tokenizer tokenizer, Speculator speculator, String mode) {
        this(model, tokenizer, speculator, mode, Verifier.LOSSLESS);
    }

    /** Test hook: a different acceptance rule (only to show that a broken one is detected). */
    Decoder(LanguageModel model, Tokenizer tokenizer, Speculator speculator, String mode,
            Verifier.AcceptanceRule acceptanceRule) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.speculator = speculator == null ? new NoSpeculation() : speculator;
        this.mode = mode;
        this.acceptanceRule = acceptanceRule;
        this.observer = this.speculator instanceof ForwardObserver o ? o : null;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public String mode() {
        return mode;
    }

    public LanguageModel model() {
        return model;
    }

    public Speculator speculator() {
        return speculator;
    }

    @Override
    public synchronized GenerationResult generate(int[] promptIds, GenerationSettings settings,
                                                  TokenListener listener, BooleanSupplier cancelled) {
        Run run = begin(promptIds, settings, listener, cancelled);
        try {
            while (run.step()) {
                // every step streams its tokens to the listener
            }
        } finally {
            active = null;
        }
        return run.result();
    }

    /**
     * Starts a generation that its caller drives one step at a time (the library's streams pull text this
     * way, on their own thread, and stop by not asking for more). The prompt and settings are checked
     * now; the prompt is prefilled by the first step. Until {@link Stepping#finish()} this decoder is
     * busy: another generation on it is an {@link IllegalStateException}.
     */
    public synchronized Stepping start(int[] promptIds, GenerationSettings settings, TokenListener listener,
                                       BooleanSupplier cancelled) {
        Run run = begin(promptIds, settings, listener, cancelled);
        return new Stepping() {
            @Override
            public boolean step() {
                synchronized (Decoder.this) {
                    if (active != run) {
                        return false;
                    }
                    try {
                        boolean more = run.step();
                        if (!more) {
                            active = null;
                        }
                        return more;
                    } catch (RuntimeException | Error e) {
                        active = null; // a failed generation must not leave the decoder busy
                        throw e;
                    }
                }
            }

            @Override
            public GenerationResult finish() {
                synchronized (Decoder.this) {
                    if (active == run) {
                        run.end("cancelled");
                        active = null;
                    }
                    return run.result();
                }
            }
        };
    }

    /** A generation driven by its caller: see {@link #start}. */
    public interface Stepping {
        /**
         * Runs one decoding step (the first prefills the prompt); false once generation has ended, which
         * frees the decoder.
         */
        boolean step();

        /**
         * Ends the generation (stop reason "cancelled" when it had not ended by itself), frees the
         * decoder and returns what was generated; later calls return the same result.
         */
        GenerationResult finish();
    }

    private Run begin(int[] promptIds, GenerationSettings settings, TokenListener listener, BooleanSupplier cancelled) {
        if (active != null) {
            throw new IllegalStateException("this decoder of mode " + mode
                    + " is still running a generation (finish or close its stream first)");
        }
        if (promptIds.length == 0) {
            throw new RsdException("the prompt is empty: there is no token to continue from");
        }
        if (settings.maxTokens() < 0) {
            throw new RsdException("max tokens must be >= 0, got " + settings.maxTokens());
        }
        int capacity = model.contextLength();
        if (promptIds.length >= capacity) {
            throw new RsdException("the prompt has " + promptIds.length + " tokens but the context holds only "
                    + capacity + " (shorten the prompt or raise --ctx)");
        }
        Run run = new Run(promptIds, settings, listener, cancelled, capacity);
        active = run;
        return run;
    }

    private Session session(int capacity) {
        if (session == null || session.capacity() < capacity) {
            if (session != null) {
                session.close();
            }
            session = model.newSession(capacity);
        }
        return session;
    }

    @Override
    public void close() {
        if (speculator instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the speculator of mode " + mode, e);
            }
        }
        if (session != null) {
            session.close();
            session = null;
        }
    }

    /** One generation's state. */
    private final class Run {
        final int[] prompt;
        final GenerationSettings settings;
        final TokenListener listener;
        final BooleanSupplier cancelled;
        final int capacity;
        final boolean greedy;
        final int limit;
        final GrowingContext context;
        final OutputText output;
        final RuleTally tally = new RuleTally();
        final List<StepTrace> steps = new ArrayList<>();
        int[] generated;
        int count;
        int forwardPasses;
        String stopReason;
        Session s;
        SplittableRandom random;
        long start;
        int pos;
        int last;
        GenerationResult result;

        Run(int[] prompt, GenerationSettings settings, TokenListener listener, BooleanSupplier cancelled, int capacity) {
            this.prompt = prompt;
            this.settings = settings;
            this.listener = listener;
            this.cancelled = cancelled;
            this.capacity = capacity;
            this.greedy = settings.temperature() <= 0f;
            // Every generated token but the last must fit in the cache.
            this.limit = Math.min(settings.maxTokens(), capacity - prompt.length);
            this.context = new GrowingContext(tokenizer, prompt);
            this.output = new OutputText(tokenizer, settings.stopStrings() == null ? List.of() : settings.stopStrings());
            this.generated = new int[Math.max(16, limit)];
        }

        /** Runs one step (prefilling the prompt first); false once the generation has ended. */
        boolean step() {
            if (result != null) {
                return false;
            }
            if (s == null) {
                prefill();
            }
            if (stopReason == null && (settings.cancelled() || cancelled != null && cancelled.getAsBoolean())) {
                stopReason = "cancelled";
            }
            if (stopReason == null && count >= limit) {
                stopReason = "length";
            }
            if (stopReason != null) {
                end(stopReason);
                return false;
            }
            decodeStep();
            return true;
        }

        private void prefill() {
            start = System.nanoTime();
            s = session(capacity);
            speculator.reset();
            if (speculator instanceof SamplingAware aware) {
                aware.startSequence(settings);
            }
            random = new SplittableRandom(settings.seed());
            int n = prompt.length;
            if (n > 1) {
                s.prefill(Arrays.copyOf(prompt, n - 1), 0);
            } else {
                s.truncate(0);
            }
            pos = n - 1;
            last = prompt[n - 1];
        }

        private void decodeStep() {
            long stepStart = System.nanoTime();
            // Guesses beyond the remaining budget or the cache would be wasted work.
            int room = Math.min(limit - count - 1, capacity - pos - 1);
            List<Draft> branches = room > 0 ? speculator.propose(context, room) : List.of();
            if (branches == null) {
                branches = List.of();
            }
            TokenTree tree = TokenTree.build(last, branches, room);
            long forwardStart = System.nanoTime();
            float[][] logits = tree.isChain()
                    ? s.forward(tree.tokens(), pos)
                    : s.forwardTree(tree.tokens(), tree.parents(), pos);
            forwardPasses++;
            if (observer != null) {
                observer.observeForward(tree.tokens(), logits);
            }
            Verifier.Outcome outcome = greedy
                    ? Verifier.greedy(tree, logits)
                    : Verifier.sample(tree, logits, settings, random, acceptanceRule);
            int accepted = outcome.accepted();
            if (tree.isChain()) {
                s.truncate(pos + 1 + accepted);
            } else {
                int[] keep = new int[accepted + 1];
                System.arraycopy(outcome.path(), 0, keep, 1, accepted);
                s.keepPath(pos, keep);
            }
            if (observer != null) {
                observer.observeStep(tree.size(), (System.nanoTime() - forwardStart) / 1e6);
            }
            for (int node = 1; node < tree.size(); node++) {
                tally.drafted(tree.rule(node), 1);
            }
            int chosen = accepted == 0 ? -1 : tree.branchOf(outcome.path()[accepted - 1]);
            speculator.observe(branches, chosen, accepted);

            int emittedGuesses = 0;
            for (int i = 0; i < accepted && stopReason == null; i++) {
                int node = outcome.path()[i];
                logits(tree.token(node), logits[i == 0 ? 0 : outcome.path()[i - 1]]);
                emit(tree.token(node), true);
                tally.accepted(tree.rule(node), 1);
                emittedGuesses++;
            }
            int modelToken = -1;
            if (stopReason == null) {
                modelToken = outcome.modelToken();
                logits(modelToken, logits[accepted == 0 ? 0 : outcome.path()[accepted - 1]]);
                emit(modelToken, false);
            }
            steps.add(trace(tree, outcome, pos, emittedGuesses, modelToken, stepStart));
            pos += 1 + accepted;
            last = outcome.modelToken();
        }

        /** Ends the generation with {@code reason} unless it has ended already; the result is kept. */
        void end(String reason) {
            if (result != null) {
                return;
            }
            if (stopReason == null) {
                stopReason = reason;
            }
            if (s != null) {
                speculator.finish(context);
            }
            double seconds = s == null ? 0 : (System.nanoTime() - start) / 1e9;
            int[] ids = Arrays.copyOf(generated, count);
            long drafted = tally.totalDrafted();
            long acceptedTotal = tally.totalAccepted();
            result = new GenerationResult(output.text(), ids, prompt.length, count, seconds,
                    seconds > 0 ? count / seconds : 0.0, forwardPasses,
                    forwardPasses == 0 ? 0.0 : (double) count / forwardPasses, drafted, acceptedTotal,
                    drafted == 0 ? 0.0 : (double) acceptedTotal / drafted, tally.snapshot(), stopReason,
                    List.copyOf(steps));
        }


        GenerationResult result() {
            return result;
        }

        /** Hands the row a token was chosen from to a listener that asked for logits. */
        private void logits(int id, float[] row) {
            if (listener instanceof LogitsListener l) {
                l.onLogits(id, row);
            }
        }

        /** Emits one token: counts it, extends the context, checks every stop condition, streams its text. */
        private void emit(int id, boolean fromGuess) {
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, generated.length * 2);
            }
            generated[count++] = id;
            context.add(id);
            boolean end = tokenizer.isEndOfGeneration(id);
            boolean full = count >= limit;
            String text = output.add(id, end || full);
            if (output.stopped()) {
                stopReason = "stop";
            } else if (end) {
                stopReason = "eos";
            } else if (full) {
                stopReason = "length";
            }
            if (listener != null) {
                listener.onToken(id, text, fromGuess);
            }
        }

        private StepTrace trace(TokenTree tree, Verifier.Outcome outcome, int pos, int emittedGuesses,
                                int modelToken, long stepStart) {
            // The followed branch: the accepted path, then the rest of the branch that owned its last node.
            List<Integer> nodes = new ArrayList<>();
            int node = 0;
            for (int p : outcome.path()) {
                nodes.add(p);
                node = p;
            }
            int branch = node == 0 ? (tree.children(0).isEmpty() ? -1 : tree.branchOf(tree.children(0).get(0)))
                    : tree.branchOf(node);
            while (branch >= 0) {
                int next = -1;
                for (int c : tree.children(node)) {
                    if (tree.branchOf(c) == branch) {
                        next = c;
                        break;
                    }
                }
                if (next < 0) {
                    break;
                }
                nodes.add(next);
                node = next;
            }
            int[] guessed = new int[nodes.size()];
            String[] rules = new String[nodes.size()];
            for (int i = 0; i < guessed.length; i++) {
                guessed[i] = tree.token(nodes.get(i));
                rules[i] = tree.rule(nodes.get(i));
            }
            // every other root-to-leaf path, from the node where it leaves the followed branch
            List<StepTrace.Branch> others = new ArrayList<>();
            for (int depth = 0; depth <= nodes.size(); depth++) {
                int at = depth == 0 ? 0 : nodes.get(depth - 1);
                Integer followed = depth < nodes.size() ? nodes.get(depth) : null;
                for (int c : tree.children(at)) {
                    if (followed == null || c != followed) {
                        collectPaths(tree, c, depth, new ArrayList<>(), others);
                    }
                }
            }
            return new StepTrace(pos, guessed, rules, emittedGuesses, modelToken, tree.guessCount(),
                    (System.nanoTime() - stepStart) / 1e6, others);
        }

        /** Adds a branch for every leaf under {@code node}, each path starting at {@code node}. */
        private void collectPaths(TokenTree tree, int node, int from, List<Integer> above, List<StepTrace.Branch> out) {
            above.add(node);
            List<Integer> kids = tree.children(node);
            if (kids.isEmpty()) {
                int[] ids = new int[above.size()];
                String[] rules = new String[above.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = tree.token(above.get(i));
                    rules[i] = tree.rule(above.get(i));
                }
                out.add(new StepTrace.Branch(from, ids, rules));
            }
            for (int k : kids) {
                collectPaths(tree, k, from, above, out);
            }
            above.remove(above.size() - 1);
        }
    }
}
