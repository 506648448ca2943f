package rsd.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * The first 20 problems of OpenAI's HumanEval (MIT licence), with their canonical solutions, as
 * {@code rsd/bench/humaneval-sample.jsonl} among the core's test resources. No rule was tuned on them.
 */
public final class HumanEvalSample {
    public static final String RESOURCE = "/rsd/bench/humaneval-sample.jsonl";

    private HumanEvalSample() {
    }

    /** The file itself (the core's test resources are a folder when its tests run). */
    public static Path path() {
        URL url = HumanEvalSample.class.getResource(RESOURCE);
        if (url == null) {
            throw new IllegalStateException(RESOURCE + " is not on the test class path");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException | java.nio.file.FileSystemNotFoundException e) {
            throw new IllegalStateException(RESOURCE + " is not a file: " + url, e);
        }
    }
}
