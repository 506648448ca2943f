package rsd.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

/** Sample inputs for report tests, built from resources in this package. */
final class Samples {
    private Samples() {
    }

    static String resource(String name) {
        try (InputStream in = Samples.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String prompt() {
        return resource("sample-prompt.py");
    }

    static String completion() {
        return resource("sample-completion.py");
    }

    /**
     * A trace of the sample completion made by rsd's real decode loop in "rules" mode, with an oracle model
     * that greedily "predicts" exactly the sample completion (then end of text).
     */
    static String traceJsonl() {
        return DecoderTraces.generate(Cl100kVocabulary.tokenizer(), "rules", prompt(), completion()).jsonl();
    }

    static Trace trace() {
        try {
            return Trace.parse(new BufferedReader(new StringReader(traceJsonl())), "sample-trace.jsonl");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
