package rsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.decode.Cancellation;
import rsd.decode.GenerationSettings;
import rsd.error.RsdException;
import rsd.testing.TestTarget;

class SpeculativeDecodingTest {
    @TempDir
    Path dir;

    @Test
    void generatesTheSameTextWithAndWithoutSpeculationAndReportsMetrics() {
        try (LoadedModel big = TestTarget.randomModel(dir, 1); LoadedModel small = TestTarget.randomModel(dir, 2)) {
            for (String mode : new String[] {"indent", "draft"}) {
                try (SpeculativeDecoding sd = SpeculativeDecoding.builder().models(big, small).gamma(3)
                        .speculativeMode(mode).build()) {
                    SpeculativeDecoding.Result plain = sd.generateText("def f(x):\n    return", 30, 0.0, false);
                    StringBuilder streamed = new StringBuilder();
                    SpeculativeDecoding.Result fast = sd.generateText("def f(x):\n    return", 30, 0.0, true,
                            (id, text, guess) -> streamed.append(text));
                    assertThat(fast.tokenIds()).isEqualTo(plain.tokenIds());
                    assertThat(fast.text()).isEqualTo(plain.text()).isEqualTo(streamed.toString());
                    assertThat(plain.mode()).isEqualTo("standard");
                    assertThat(fast.mode()).isEqualTo(mode);
                    assertThat(plain.forwardPasses()).isEqualTo(plain.totalTokens());
                    assertThat(fast.totalTokens()).isEqualTo(fast.tokenIds().length);
                    assertThat(fast.tokensPerForward()).isEqualTo((double) fast.totalTokens() / fast.forwardPasses());
                    assertThat(fast.tokensPerSecond()).isPositive();
                    if (mode.equals("draft")) {
                        assertThat(fast.perRule()).containsKey("draft");
                        assertThat(fast.draftedTokens()).isPositive();
                    }
                }
            }
            // A confidence floor drafts less and changes nothing in the output.
            try (SpeculativeDecoding all = SpeculativeDecoding.builder().models(big, small).gamma(3).speculativeMode("draft").build();
                 SpeculativeDecoding floored = SpeculativeDecoding.builder().models(big, small).gamma(3).speculativeMode("draft")
                         .draftPMin(0.5).build()) {
                SpeculativeDecoding.Result a = all.generateText("def f(x):\n    return", 30, 0.0, true);
                SpeculativeDecoding.Result b = floored.generateText("def f(x):\n    return", 30, 0.0, true);
                assertThat(b.tokenIds()).isEqualTo(a.tokenIds());
                assertThat(b.draftedTokens()).isLessThan(a.draftedTokens());
            }
            // Models passed in stay open for the caller.
            assertThat(big.model().newSession(4)).isNotNull();
        }
    }

    @Test
    void clearErrors() {
        assertThatThrownBy(() -> new SpeculativeDecoding(null, dir.resolve("missing.gguf"), 4, true))
                .isInstanceOf(RsdException.class).hasMessageContaining("missing.gguf");
        assertThatThrownBy(() -> new SpeculativeDecoding(null, dir.resolve("missing.gguf"), 4, false))
                .isInstanceOf(RsdException.class).hasMessageContaining("small model");
        assertThatThrownBy(() -> SpeculativeDecoding.builder().draftPMin(1.5).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("p-min");
    }
    @Test
    void namedSettingsGiveWhatThePositionalCallGives() {
        try (LoadedModel big = TestTarget.randomModel(dir, 1);
             SpeculativeDecoding sd = SpeculativeDecoding.builder().models(big, null).gamma(3).speculativeMode("indent").build()) {
            rsd.decode.GenerationSettings settings = rsd.decode.GenerationSettings.builder().maxTokens(20).temperature(0.7)
                    .topK(40).topP(0.9).seed(3).build();
            assertThat(settings).isEqualTo(new rsd.decode.GenerationSettings(20, 0.7f, 40, 0.9f, 3, java.util.List.of()));
            SpeculativeDecoding.Result named = sd.generate("def f(x):\n", rsd.decode.GenerationSettings.builder().maxTokens(20).build());
            SpeculativeDecoding.Result positional = sd.generateText("def f(x):\n", 20, 0.0, true);
            assertThat(named.tokenIds()).isEqualTo(positional.tokenIds());
            assertThat(named.mode()).isEqualTo("indent");
        }
        assertThatThrownBy(() -> rsd.decode.GenerationSettings.builder().topP(0).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("topP");
        assertThatThrownBy(() -> rsd.decode.GenerationSettings.builder().maxTokens(-1).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> rsd.decode.GenerationSettings.builder().temperature(Double.NaN).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("temperature");
    }

    private static final String PROMPT = "def f(x):\n    return";

    @Test
    void streamedPiecesConcatenateToTheTextOfAGeneration() {
        // The target drafts for itself in mode draft, so every guess is accepted and steps emit several tokens.
        try (LoadedModel big = TestTarget.randomModel(dir, 1);
             SpeculativeDecoding sd = SpeculativeDecoding.builder().models(big, big).gamma(3).build()) {
            GenerationSettings settings = GenerationSettings.builder().maxTokens(40).build();
            String reference = sd.generate(PROMPT, settings, "standard", null).text();
            for (String mode : List.of("standard", "indent", "draft", "auto")) {
                AtomicReference<SpeculativeDecoding.Result> ended = new AtomicReference<>();
                List<String> pieces;
                try (Stream<String> text = sd.stream(PROMPT, settings, mode, ended::set)) {
                    pieces = text.toList();
                }
                SpeculativeDecoding.Result whole = sd.generate(PROMPT, settings, mode, null);
                assertThat(String.join("", pieces)).as(mode).isEqualTo(whole.text()).isEqualTo(reference);
                assertThat(pieces).as(mode).isNotEmpty().noneMatch(String::isEmpty);
                assertThat(ended.get().tokenIds()).as(mode).isEqualTo(whole.tokenIds());
                assertThat(ended.get().finishReason()).as(mode).isEqualTo(whole.finishReason());
                if (mode.equals("draft")) {
                    assertThat(ended.get().forwardPasses()).isLessThan(ended.get().totalTokens() / 2);
                }
            }
            // the configured mode (auto) by default
            try (Stream<String> text = sd.stream(PROMPT, settings)) {
                assertThat(text.collect(Collectors.joining())).isEqualTo(reference);
            }
        }
    }

    @Test
    void closingAStreamEndsTheGenerationAndFreesTheInstance() {
        try (LoadedModel big = TestTarget.randomModel(dir, 1);
             SpeculativeDecoding sd = SpeculativeDecoding.builder().models(big, null).gamma(3).speculativeMode("indent").build()) {
            GenerationSettings settings = GenerationSettings.builder().maxTokens(40).build();
            SpeculativeDecoding.Result full = sd.generate(PROMPT, settings, "standard", null);
            assertThat(full.finishReason()).isEqualTo("length");
            for (String mode : List.of("standard", "indent")) {
                AtomicReference<SpeculativeDecoding.Result> ended = new AtomicReference<>();
                StringBuilder read = new StringBuilder();
                try (Stream<String> text = sd.stream(PROMPT, settings, mode, ended::set)) {
                    Iterator<String> it = text.iterator();
                    for (int i = 0; i < 3; i++) {
                        read.append(it.next());
                    }
                    assertThatThrownBy(() -> sd.generate(PROMPT, settings))
                            .isInstanceOf(IllegalStateException.class).hasMessageContaining("stream");
                    assertThat(ended.get()).isNull();
                }
                SpeculativeDecoding.Result r = ended.get();
                assertThat(r.finishReason()).as(mode).isEqualTo("cancelled");
                assertThat(r.totalTokens()).as(mode).isBetween(3, 20);
                assertThat(full.text()).startsWith(r.text());
                assertThat(r.text()).startsWith(read.toString());
                assertThat(full.tokenIds()).startsWith(r.tokenIds());
                // closing again changes nothing, and the instance generates as before
                assertThat(sd.generate(PROMPT, settings, mode, null).tokenIds()).isEqualTo(full.tokenIds());
            }
            // a short-circuiting operation reads only what it needs; closing ends the rest
            AtomicReference<SpeculativeDecoding.Result> ended = new AtomicReference<>();
            try (Stream<String> text = sd.stream(PROMPT, settings, "standard", ended::set)) {
                assertThat(text.limit(2).toList()).hasSize(2);
            }
            assertThat(ended.get().totalTokens()).isLessThan(full.totalTokens());
        }
    }

    @Test
    void anotherThreadCancelsARunningGeneration() throws Exception {
        try (LoadedModel big = TestTarget.randomModel(dir, 1); LoadedModel small = TestTarget.randomModel(dir, 2);
             SpeculativeDecoding sd = SpeculativeDecoding.builder().models(big, small).gamma(3).build()) {
            GenerationSettings plain = GenerationSettings.builder().maxTokens(40).build();
            SpeculativeDecoding.Result full = sd.generate(PROMPT, plain, "standard", null);
            assertThat(full.finishReason()).isEqualTo("length");
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                for (String mode : List.of("standard", "draft")) {
                    Cancellation cancel = new Cancellation();
                    GenerationSettings settings = GenerationSettings.builder().maxTokens(40).cancellation(cancel).build();
                    CountDownLatch fiveTokens = new CountDownLatch(1);
                    CountDownLatch cancelled = new CountDownLatch(1);
                    AtomicInteger tokens = new AtomicInteger();
                    StringBuilder streamed = new StringBuilder();
                    // The generating thread pauses after its fifth token until this thread has cancelled.
                    Future<SpeculativeDecoding.Result> running = pool.submit(() -> sd.generate(PROMPT, settings, mode,
                            (id, text, guess) -> {
                                streamed.append(text);
                                if (tokens.incrementAndGet() == 5) {
                                    fiveTokens.countDown();
                                    await(cancelled);
                                }
                            }));
                    assertThat(fiveTokens.await(60, TimeUnit.SECONDS)).isTrue();
                    cancel.cancel();
                    cancelled.countDown();
                    SpeculativeDecoding.Result r = running.get(60, TimeUnit.SECONDS);
                    assertThat(r.finishReason()).as(mode).isEqualTo("cancelled");
                    assertThat(r.details().stopReason()).isEqualTo("cancelled");
                    // the step that held the fifth token ends; no further step runs
                    if (mode.equals("standard")) {
                        assertThat(r.totalTokens()).isEqualTo(5);
                    } else {
                        assertThat(r.totalTokens()).isBetween(5, 5 + 3);
                    }
                    assertThat(full.tokenIds()).startsWith(r.tokenIds());
                    assertThat(r.text()).isEqualTo(streamed.toString());
                    assertThat(full.text()).startsWith(r.text());
                    assertThat(cancel.isCancelled()).isTrue();
                }
            } finally {
                pool.shutdownNow();
            }
            // a stream stops the same way
            Cancellation cancel = new Cancellation();
            GenerationSettings settings = GenerationSettings.builder().maxTokens(40).cancellation(cancel).build();
            AtomicReference<SpeculativeDecoding.Result> ended = new AtomicReference<>();
            List<String> read = new ArrayList<>();
            try (Stream<String> text = sd.stream(PROMPT, settings, "standard", ended::set)) {
                text.forEach(piece -> {
                    read.add(piece);
                    if (read.size() == 4) {
                        cancel.cancel();
                    }
                });
            }
            assertThat(ended.get().finishReason()).isEqualTo("cancelled");
            assertThat(String.join("", read)).isEqualTo(ended.get().text());
            assertThat(ended.get().totalTokens()).isLessThan(full.totalTokens());
        }
    }

    @Test
    void guessesShorterThanDraftMinAreNotVerified() {
        // The model drafts for itself: every guess is accepted, each step makes 3 guesses and its own token,
        // and after 36 tokens only one guess fits in 38, a guess draftMin 2 does not verify.
        try (LoadedModel big = TestTarget.randomModel(dir, 1)) {
            GenerationSettings settings = GenerationSettings.builder().maxTokens(38).build();
            try (SpeculativeDecoding any = SpeculativeDecoding.builder().models(big, big).gamma(3).speculativeMode("draft").build();
                 SpeculativeDecoding atLeastTwo = SpeculativeDecoding.builder().models(big, big).gamma(3)
                         .speculativeMode("draft").draftMin(2).build()) {
                SpeculativeDecoding.Result a = any.generate(PROMPT, settings);
                SpeculativeDecoding.Result b = atLeastTwo.generate(PROMPT, settings);
                SpeculativeDecoding.Result plain = any.generate(PROMPT, settings, "standard", null);
                assertThat(a.totalTokens()).isEqualTo(38);
                assertThat(a.details().steps()).extracting(step -> step.guessed().length)
                        .containsExactly(3, 3, 3, 3, 3, 3, 3, 3, 3, 1);
                assertThat(b.details().steps()).extracting(step -> step.guessed().length)
                        .containsExactly(3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0);
                assertThat(b.tokenIds()).isEqualTo(a.tokenIds()).isEqualTo(plain.tokenIds());
                assertThat(b.draftedTokens()).isEqualTo(27);
            }
        }
        assertThatThrownBy(() -> SpeculativeDecoding.builder().gamma(3).draftMin(4).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("draft min must be in 0..3");
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the other thread never cancelled");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
