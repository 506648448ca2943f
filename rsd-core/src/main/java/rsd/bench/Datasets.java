package rsd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import rsd.error.RsdException;

/** Benchmark prompts: the built-in suite, or a HumanEval-format JSON-lines file (optionally gzip). */
public final class Datasets {
    public static final String BUILTIN = "builtin";
    private static final String BUILTIN_RESOURCE = "/rsd/bench/builtin-suite.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Datasets() {
    }

    /** The project's own suite: 30 Python functions and classes with docstrings, 10 Java/C/JavaScript. */
    public static List<Problem> builtin() {
        try (InputStream in = Datasets.class.getResourceAsStream(BUILTIN_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + BUILTIN_RESOURCE + " missing from the build");
            }
            return parse(in, "built-in suite");
        } catch (IOException e) {
            throw new IllegalStateException("reading " + BUILTIN_RESOURCE, e);
        }
    }

    /**
     * Reads HumanEval format: one JSON object per line with {@code task_id} and {@code prompt} (other
     * fields ignored; an optional {@code language} field, Python otherwise). Files ending in .gz are
     * decompressed.
     */
    public static List<Problem> load(Path file) {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
            List<Problem> problems = parse(in, file.toString());
            if (problems.isEmpty()) {
                throw new RsdException(file + ": no problems in the file");
            }
            return problems;
        } catch (NoSuchFileException e) {
            throw new RsdException(file + ": no such file");
        } catch (IOException e) {
            throw new RsdException(file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    private static List<Problem> parse(InputStream in, String source) throws IOException {
        List<Problem> out = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                throw new RsdException(source + " line " + number + ": not valid JSON");
            }
            JsonNode id = node.get("task_id");
            JsonNode prompt = node.get("prompt");
            if (id == null || !id.isTextual() || prompt == null || !prompt.isTextual()) {
                throw new RsdException(source + " line " + number + ": needs string fields task_id and prompt (HumanEval format)");
            }
            String language = node.hasNonNull("language") ? node.get("language").asText() : "python";
            out.add(new Problem(id.asText(), prompt.asText(), language, Problem.stopsFor(language)));
        }
        return out;
    }
}
