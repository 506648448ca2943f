package example;

import java.util.stream.Stream;
import rsd.SpeculativeDecoding;
import rsd.decode.GenerationSettings;

/** Loads the embedded code model (from the rsd-models jar), streams a completion in mode auto, prints its figures. */
public final class Main {
    public static void main(String[] args) {
        String prompt = args.length > 0 ? args[0] : "def fibonacci(n):\n";
        try (SpeculativeDecoding sd = SpeculativeDecoding.builder().speculativeMode("auto").threads(2).build()) {
            GenerationSettings settings = GenerationSettings.builder().maxTokens(64).build(); // greedy
            StringBuilder streamed = new StringBuilder();
            SpeculativeDecoding.Result[] end = new SpeculativeDecoding.Result[1];
            System.out.print(prompt);
            try (Stream<String> pieces = sd.stream(prompt, settings, "auto", r -> end[0] = r)) {
                pieces.forEach(piece -> {
                    System.out.print(piece);
                    System.out.flush();
                    streamed.append(piece);
                });
            }
            SpeculativeDecoding.Result r = end[0];
            System.out.printf("%n[%d tokens, %d forward passes, %.2f tokens/forward, finish reason %s]%n",
                    r.totalTokens(), r.forwardPasses(), r.tokensPerForward(), r.finishReason());
            // The stream is lossless: the same text as plain decoding, token for token.
            String plain = sd.generate(prompt, settings, "standard", null).text();
            if (!plain.equals(streamed.toString())) {
                System.err.println("streamed text differs from plain decoding");
                System.exit(1);
            }
            System.out.println("streamed text = plain decoding: yes");
        }
    }
}
