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
            SpeculativeDecoding.Result[] end = new SpeculativeDecoding.Result[1];
            StringBuilder streamed = new StringBuilder();
            System.out.print(prompt);
            try (Stream<String> pieces = sd.stream(prompt, settings, "auto", r -> end[0] = r)) {
                pieces.forEach(piece -> {      // generated as it is read; closing the stream stops it
                    System.out.print(piece);
                    System.out.flush();
                    streamed.append(piece);
                });
            }
            System.out.printf("%n%d tokens, %.2f tokens/forward, finish reason %s%n",
                    end[0].totalTokens(), end[0].tokensPerForward(), end[0].finishReason());
            // The stream is lossless: the same text as plain decoding, token for token.
            String plain = sd.generate(prompt, settings, "standard", null).text();
            if (!plain.equals(streamed.toString())) {
                throw new IllegalStateException("streamed text differs from plain decoding");
            }
            System.out.println("streamed text = plain decoding: yes");
        }
    }
}
