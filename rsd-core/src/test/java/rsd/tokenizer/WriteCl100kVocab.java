package rsd.tokenizer;

import java.nio.file.Path;
import rsd.gguf.GgufWriter;

/**
 * Writes the cl100k test vocabulary ({@link Cl100kVocabulary}) as a vocabulary-only GGUF, for trying
 * {@code rsd tokenize} and measuring its speed without a model download:
 * <pre>
 * mvn -q -o test-compile
 * java -cp target/classes:target/test-classes:$HOME/.m2/repository/com/knuddels/jtokkit/1.1.0/jtokkit-1.1.0.jar \
 *     rsd.tokenizer.WriteCl100kVocab /tmp/cl100k-vocab.gguf
 * </pre>
 */
public final class WriteCl100kVocab {
    private WriteCl100kVocab() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: WriteCl100kVocab OUT.gguf");
            System.exit(2);
        }
        try (GgufWriter w = GgufWriter.create(Path.of(args[0]))) {
            Cl100kVocabulary.metadata().forEach(w::put);
        }
    }
}
