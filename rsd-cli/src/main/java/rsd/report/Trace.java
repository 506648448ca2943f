package rsd.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rsd.error.RsdException;
import rsd.metrics.StepTrace;

/**
 * A generation trace as {@code rsd generate --trace} writes it (JSON lines): a header, one line per decoding
 * step, and a summary. Unknown line types and extra fields are ignored so that newer traces still load.
 *
 * @param summary the summary object, or a MissingNode when the run ended before writing one
 */
public record Trace(String model, String mode, String prompt, int[] promptIds, JsonNode settings,
                    List<StepTrace> steps, JsonNode summary) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads a trace file; any malformed line is an RsdException naming the file and line. */
    public static Trace read(Path file) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new RsdException("trace file " + file + " does not exist");
        } catch (IOException e) {
            throw new RsdException("cannot read trace file " + file + ": " + e.getMessage(), e);
        }
    }

    static Trace parse(BufferedReader in, String source) throws IOException {
        JsonNode header = null;
        JsonNode summary = MissingNode.getInstance();
        List<StepTrace> steps = new ArrayList<>();
        String line;
        int lineNo = 0;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new RsdException(source + " line " + lineNo + ": not valid JSON ("
                        + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.isObject()) {
                throw new RsdException(source + " line " + lineNo + ": expected a JSON object");
            }
            String type = node.path("type").asText("");
            if (header == null && !type.equals("header")) {
                throw new RsdException(source + " line " + lineNo
                        + ": a trace must start with a {\"type\":\"header\"} line (is this a trace from rsd generate --trace?)");
            }
            switch (type) {
                case "header" -> {
                    if (header != null) {
                        throw new RsdException(source + " line " + lineNo + ": a second header line");
                    }
                    header = node;
                }
                case "step" -> steps.add(step(node, source, lineNo));
                case "summary" -> summary = node;
                default -> {
                    // Unknown line types come from newer writers; skipping them keeps old readers useful.
                }
            }
        }
        if (header == null) {
            throw new RsdException(source + " is empty: expected a trace from rsd generate --trace");
        }
        return new Trace(header.path("model").asText(""), header.path("mode").asText(""),
                header.path("prompt").asText(""), ids(header.path("prompt_ids"), source, 1, "prompt_ids"),
                header.path("settings"), List.copyOf(steps), summary);
    }

    private static StepTrace step(JsonNode n, String source, int lineNo) {
        String where = source + " line " + lineNo;
        int[] guessed = ids(n.path("guessed"), source, lineNo, "guessed");
        JsonNode rulesNode = n.path("rules");
        String[] rules = new String[guessed.length];
        if (guessed.length > 0 && (!rulesNode.isArray() || rulesNode.size() != guessed.length)) {
            throw new RsdException(where + ": \"rules\" must name one rule per guessed token ("
                    + guessed.length + " guessed, " + (rulesNode.isArray() ? rulesNode.size() : 0) + " rules)");
        }
        for (int i = 0; i < guessed.length; i++) {
            rules[i] = rulesNode.get(i).asText("?");
        }
        int accepted = requireInt(n, "accepted", where);
        if (accepted < 0 || accepted > guessed.length) {
            throw new RsdException(where + ": accepted=" + accepted + " but only " + guessed.length + " tokens were guessed");
        }
        int modelToken = n.has("model_token") ? requireInt(n, "model_token", where) : -1;
        List<StepTrace.Branch> branches = new ArrayList<>();
        JsonNode bs = n.path("branches");
        if (!bs.isMissingNode() && !bs.isNull() && !bs.isArray()) {
            throw new RsdException(where + ": \"branches\" must be an array");
        }
        for (JsonNode b : bs) {
            int from = requireInt(b, "from", where + " branch");
            if (from < 0 || from > guessed.length) {
                throw new RsdException(where + ": a branch leaves the followed one at " + from + ", outside 0.." + guessed.length);
            }
            int[] ids = ids(b.path("guessed"), source, lineNo, "branches.guessed");
            JsonNode br = b.path("rules");
            if (ids.length == 0 || !br.isArray() || br.size() != ids.length) {
                throw new RsdException(where + ": each branch needs its guessed tokens and one rule per token");
            }
            String[] bRules = new String[ids.length];
            for (int i = 0; i < ids.length; i++) {
                bRules[i] = br.get(i).asText("?");
            }
            branches.add(new StepTrace.Branch(from, ids, bRules));
        }
        return new StepTrace(n.path("position").asInt(-1), guessed, rules, accepted, modelToken,
                n.path("tree_size").asInt(guessed.length), n.path("ms").asDouble(Double.NaN), branches);
    }

    private static int requireInt(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new RsdException(where + ": \"" + field + "\" must be an integer");
        }
        return v.intValue();
    }

    private static int[] ids(JsonNode arr, String source, int lineNo, String field) {
        if (arr.isMissingNode() || arr.isNull()) {
            return new int[0];
        }
        if (!arr.isArray()) {
            throw new RsdException(source + " line " + lineNo + ": \"" + field + "\" must be an array of token ids");
        }
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = arr.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new RsdException(source + " line " + lineNo + ": \"" + field + "\" holds " + v + ", not a token id");
            }
            out[i] = v.intValue();
        }
        return out;
    }
}
