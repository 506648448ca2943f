package rsd;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import rsd.decode.Decoder;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.decode.TokenListener;
import rsd.draft.CostModel;
import rsd.draft.OutputMemory;
import rsd.draft.datastore.Datastore;
import rsd.error.RsdException;
import rsd.metrics.RuleStats;
import rsd.model.LanguageModel;

/**
 * The library entry point, shaped like the original RSD Python framework:
 *
 * <pre>
 * try (SpeculativeDecoding sd = new SpeculativeDecoding(null, Path.of("models/rsd-code.gguf"), 4, true)) {
 *     SpeculativeDecoding.Result r = sd.generateText("def fib(n):\n", 128, 0.0, true);
 *     System.out.println(r.text() + "\n" + r.tokensPerSecond() + " tokens/s");
 * }
 * </pre>
 *
 * Speculative generation uses a rule mode when {@code useRuleBasedOnly} is true ({@code auto}, the
 * cost-model rule speculator, unless the builder says otherwise), else the small model as a classic
 * draft model. Output is the same as
 * standard decoding (greedy: token for token; sampling: the same distribution).
 *
 * <p>Text arrives three ways: the whole {@link Result}, a {@link TokenListener} called for each token as
 * it is accepted (push, on the generating thread), or a {@link Stream} of text pieces that generates as it
 * is read ({@link #stream}; pull, so a slow reader slows generation and closing the stream stops it).
 * A stream rather than a {@code Flow.Publisher}: generation is a sequential loop on one thread, and a
 * pull-based stream needs no executor, no subscription protocol and no buffering of text nobody read.
 * A {@link rsd.decode.Cancellation} in the settings stops any of them from another thread, returning the
 * text so far with finish reason "cancelled".
 *
 * <p>Thread safety: calls on one instance run one at a time (they synchronize; while a stream is open,
 * another generation throws). For generations in parallel, build one instance per thread over models
 * loaded once and shared ({@link Builder#models}): a model can serve several instances at once.
 */
public final class SpeculativeDecoding implements AutoCloseable {
    /** A generation's text, ids and metrics (defined in docs/core.md, Metrics); {@code details} has everything else. */
    public record Result(String text, int[] tokenIds, int totalTokens, double elapsedTime, double tokensPerSecond,
                         int forwardPasses, double tokensPerForward, long draftedTokens, long acceptedTokens,
                         double acceptanceRate, Map<String, RuleStats> perRule, String mode,
                         GenerationResult details) {
        /** Why generation ended: "length", "eos", "stop" (a stop string) or "cancelled". */
        public String finishReason() {
            return details.stopReason();
        }

        static Result of(GenerationResult r, String mode) {
            return new Result(r.text(), r.tokenIds(), r.totalTokens(), r.elapsedSeconds(), r.tokensPerSecond(),
                    r.forwardPasses(), r.tokensPerForward(), r.draftedTokens(), r.acceptedTokens(), r.acceptanceRate(),
                    r.perRule(), mode, r);
        }
    }

    private final LoadedModel target;
    private final LoadedModel draft;
    private final boolean ownsModels;
    private final String speculativeMode;
    private final ModeResources resources;
    private final Datastore datastore;
    private final long seed;
    private final Map<String, Decoder> decoders = new HashMap<>();
    /** The stream being read now (null: none): no other generation may start until it ends. */
    private Decoder.Stepping openStream;

    /**
     * Loads the models (GGUF files) with all cores and a 4096-token context cap.
     *
     * @param smallModel       the draft model, or null (then only rule-based speculation is possible)
     * @param largeModel       the model whose output is produced
     * @param gamma            most guessed tokens verified per forward pass
     * @param useRuleBasedOnly speculate with rules (true) or with the small model (false)
     */
    public SpeculativeDecoding(Path smallModel, Path largeModel, int gamma, boolean useRuleBasedOnly) {
        this(builder().model(largeModel).draftModel(smallModel).gamma(gamma)
                .speculativeMode(useRuleBasedOnly ? Modes.AUTO : Modes.DRAFT));
    }

    private SpeculativeDecoding(Builder b) {
        if (b.loadedTarget == null && b.model == null) {
            throw new RsdException("no model given");
        }
        // checked before any model is loaded, so a bad setting never leaves a mapped file behind
        ModeResources.check(b.gamma, b.draftPMin, b.draftMin);
        if (b.speculativeMode.equals(Modes.DRAFT) && b.draftModel == null && b.loadedDraft == null) {
            throw new RsdException("draft-model speculation needs a small model (useRuleBasedOnly = false without a small model)");
        }
        this.ownsModels = b.loadedTarget == null;
        LoadedModel t = b.loadedTarget;
        LoadedModel d = b.loadedDraft;
        if (ownsModels) {
            t = open(b.model, b.threads, b.contextLength);
            try {
                d = b.draftModel == null ? null : open(b.draftModel, b.threads, b.contextLength);
            } catch (RuntimeException e) {
                t.close();
                throw e;
            }
        }
        this.target = t;
        this.draft = d;
        this.speculativeMode = b.speculativeMode;
        this.seed = b.seed;
        Supplier<LanguageModel> draftSupplier = d == null ? null : d::model;
        try {
            this.datastore = b.datastore == null ? null : Datastore.open(b.datastore, t.tokenizer());
        } catch (RuntimeException e) {
            if (ownsModels) {
                t.close();
                if (d != null) {
                    d.close();
                }
            }
            throw e;
        }
        LoadedModel opened = t;
        // A library reports no calibration; the curve is cached by file when there is one.
        Supplier<CostModel> cost = t.path() == null ? () -> CostModel.forModel(opened.model())
                : () -> CostModel.forFile(opened.model(), opened.path(), b.threads, null);
        this.resources = new ModeResources(t.model(), t.tokenizer(), b.gamma, b.draftPMin, draftSupplier, cost, datastore,
                b.memoryTokens == 0 ? null : new OutputMemory(b.memoryTokens), b.draftMin);
        if (!Modes.available(resources).contains(speculativeMode)) {
            close();
            throw new RsdException("mode '" + speculativeMode + "' is not available; available: "
                    + String.join(", ", Modes.available(resources)));
        }
    }

    private static LoadedModel open(Path path, int threads, int ctx) {
        Path file = EmbeddedModels.resolve(path);
        if (!java.nio.file.Files.isRegularFile(file)) {
            boolean embedded = path.equals(LoadedModel.DEFAULT_MODEL) || path.equals(LoadedModel.DEFAULT_DRAFT_MODEL);
            throw new RsdException("model file " + path + " not found" + (embedded
                    ? " (for the embedded models put io.github.rsd:rsd-models on the classpath, or pass builder().model(path))"
                    : ""));
        }
        return LoadedModel.open(file, threads, ctx);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Generates up to {@code maxLength} new tokens after {@code prompt}; temperature 0 is greedy.
     *
     * @param useSpeculative speculate (the configured mode) or decode plainly (mode standard)
     */
    public Result generateText(String prompt, int maxLength, double temperature, boolean useSpeculative) {
        return generateText(prompt, maxLength, temperature, useSpeculative, null);
    }

    /** Like {@link #generateText(String, int, double, boolean)}, streaming text to {@code listener}. */
    public Result generateText(String prompt, int maxLength, double temperature, boolean useSpeculative,
                               TokenListener listener) {
        GenerationSettings settings = new GenerationSettings(maxLength, (float) temperature, 0, 1f, seed, List.of());
        return generate(prompt, settings, useSpeculative ? speculativeMode : Modes.STANDARD, listener);
    }

    /** Generates with {@code settings} (see {@link GenerationSettings#builder()}) in the configured mode. */
    public Result generate(String prompt, GenerationSettings settings) {
        return generate(prompt, settings, speculativeMode, null);
    }

    /**
     * Full control: any settings (top-k, top-p, seed, stop strings, a {@link rsd.decode.Cancellation}),
     * any available mode, and a listener that receives each token's text as it is accepted.
     */
    public synchronized Result generate(String prompt, GenerationSettings settings, String mode, TokenListener listener) {
        GenerationResult r = decoder(mode).generate(Prompts.completion(target.tokenizer(), prompt), settings, listener, null);
        return Result.of(r, mode);
    }

    /** {@link #stream(String, GenerationSettings, String, Consumer)} in the configured mode. */
    public Stream<String> stream(String prompt, GenerationSettings settings) {
        return stream(prompt, settings, speculativeMode, null);
    }

    /**
     * The generated text as a lazy stream of pieces, in order; concatenated they are exactly the text
     * {@link #generate} returns for the same arguments. Each piece is the text a token completed (tokens
     * that complete no text yet, inside a UTF-8 character or a possible stop string, give none).
     *
     * <p>Generation runs on the thread that reads the stream, as the stream is read: nothing is generated
     * ahead of the reader, and no thread is started. Closing the stream (try-with-resources, or a
     * short-circuiting operation followed by {@code close()}) ends generation at once; a stream read to
     * its end ends by itself. Until then this instance is busy: another {@code generate} or {@code stream}
     * is an {@link IllegalStateException}. A {@link rsd.decode.Cancellation} in the settings ends the
     * stream from another thread.
     *
     * @param onEnd given the result once the stream ends (finish reason "cancelled" when it was closed
     *              before the end); may be null
     */
    public synchronized Stream<String> stream(String prompt, GenerationSettings settings, String mode,
                                              Consumer<Result> onEnd) {
        ArrayDeque<String> pieces = new ArrayDeque<>();
        Decoder.Stepping run = decoder(mode).start(Prompts.completion(target.tokenizer(), prompt), settings,
                (id, text, fromGuess) -> {
                    if (!text.isEmpty()) {
                        pieces.add(text);
                    }
                }, null);
        openStream = run;
        Runnable end = () -> {
            Result result;
            synchronized (this) {
                if (openStream != run) {
                    return;
                }
                openStream = null;
                result = Result.of(run.finish(), mode);
            }
            if (onEnd != null) {
                onEnd.accept(result);
            }
        };
        Iterator<String> text = new Iterator<>() {
            @Override
            public boolean hasNext() {
                while (pieces.isEmpty()) {
                    boolean more;
                    synchronized (SpeculativeDecoding.this) {
                        try {
                            more = openStream == run && run.step();
                        } catch (RuntimeException | Error e) {
                            if (openStream == run) {
                                openStream = null; // a failed generation must not leave the instance busy
                            }
                            throw e;
                        }
                    }
                    if (!more) {
                        end.run();
                        return !pieces.isEmpty();
                    }
                }
                return true;
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return pieces.poll();
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(text, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(end);
    }

    private Decoder decoder(String mode) {
        if (openStream != null) {
            throw busy();
        }
        return decoders.computeIfAbsent(mode, m -> Modes.decoder(m, resources));
    }

    private static IllegalStateException busy() {
        return new IllegalStateException("a stream of this SpeculativeDecoding is still open: read it to the end or "
                + "close it before the next generation (one generation at a time per instance)");
    }

    /** The modes {@link #generate} accepts. */
    public List<String> modes() {
        return Modes.available(resources);
    }

    public LoadedModel model() {
        return target;
    }

    @Override
    public synchronized void close() {
        if (openStream != null) {
            openStream.finish();
            openStream = null;
        }
        decoders.values().forEach(Decoder::close);
        if (datastore != null) {
            datastore.close();
        }
        decoders.clear();
        if (ownsModels) {
            if (draft != null) {
                draft.close();
            }
            target.close();
        }
    }

    /**
     * Options with defaults: the embedded code model ({@code models/rsd-code.gguf} under the working
     * directory or {@code -Drsd.home}, else the rsd-models jar on the classpath), gamma 4, mode auto, all
     * cores, context cap 4096.
     */
    public static final class Builder {
        private Path model = LoadedModel.DEFAULT_MODEL;
        private Path draftModel;
        private LoadedModel loadedTarget;
        private LoadedModel loadedDraft;
        private int gamma = ModeResources.DEFAULT_GAMMA;
        private double draftPMin = ModeResources.DEFAULT_DRAFT_P_MIN;
        private int draftMin = ModeResources.DEFAULT_DRAFT_MIN;
        private String speculativeMode = Modes.AUTO;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int contextLength = 4096;
        private long seed;
        private Path datastore;
        private int memoryTokens = OutputMemory.DEFAULT_CAPACITY;

        public Builder model(Path path) {
            this.model = path;
            return this;
        }

        /** The small model for mode {@code draft} (null: none). */
        public Builder draftModel(Path path) {
            this.draftModel = path;
            return this;
        }

        /** Use models already loaded (they stay open after {@link SpeculativeDecoding#close()}). */
        public Builder models(LoadedModel target, LoadedModel draft) {
            this.loadedTarget = target;
            this.loadedDraft = draft;
            return this;
        }

        public Builder gamma(int gamma) {
            this.gamma = gamma;
            return this;
        }

        /**
         * The shortest guess worth verifying (llama.cpp's {@code --draft-min}): in the single-source modes a
         * shorter guess is dropped and the step is plain; 0 (default) = every guess. At most gamma.
         */
        public Builder draftMin(int tokens) {
            this.draftMin = tokens;
            return this;
        }

        /** Mode {@code draft}: stop drafting before a token the draft model gives less than p (llama.cpp's p_min). */
        public Builder draftPMin(double p) {
            this.draftPMin = p;
            return this;
        }

        /** The mode used when {@code useSpeculative} is true ("indent", "draft", or any registered mode). */
        public Builder speculativeMode(String mode) {
            this.speculativeMode = mode;
            return this;
        }

        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** Context cap in tokens (0: the model's own). */
        public Builder contextLength(int contextLength) {
            this.contextLength = contextLength;
            return this;
        }

        /** Seed for sampling (temperature > 0); the same seed gives the same output. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * A code datastore made by {@code rsd index} with the model's tokenizer: mode auto drafts from it too.
         * A missing, damaged or foreign file is an {@link RsdException} when building.
         */
        public Builder datastore(Path file) {
            this.datastore = file;
            return this;
        }

        /**
         * Tokens of earlier outputs this instance remembers as a drafting source of mode auto (later
         * generations get what earlier ones wrote after the same tokens back as guesses); 0: none.
         * Default {@link OutputMemory#DEFAULT_CAPACITY}, about 12 bytes per token.
         */
        public Builder outputMemory(int tokens) {
            if (tokens != 0 && tokens < 16) {
                throw new RsdException("an output memory needs at least 16 tokens (0: none), got " + tokens);
            }
            this.memoryTokens = tokens;
            return this;
        }

        public SpeculativeDecoding build() {
            return new SpeculativeDecoding(this);
        }
    }
}
