package rsd.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rsd.tokenizer.Tokenizer;

/**
 * Builds a realistic trace (the JSONL of {@code rsd generate --trace}) without a model: the "model" emits a
 * known completion, and three simple rules guess ahead of it (indentation after a newline, a few idioms,
 * copying what followed the same two tokens earlier). Guesses are accepted as long as they match the
 * completion, exactly as greedy verification would do.
 */
final class TraceSimulator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_GUESSES = 5;

    private final Tokenizer tok;

    TraceSimulator(Tokenizer tok) {
        this.tok = tok;
    }

    record Guess(int id, String rule) {
    }

    String traceJsonl(String model, String prompt, String completion) {
        int[] promptIds = tok.encode(prompt);
        int[] target = tok.encode(completion);
        List<Integer> history = new ArrayList<>();
        for (int id : promptIds) {
            history.add(id);
        }
        StringBuilder out = new StringBuilder();
        ObjectNode header = JSON.createObjectNode().put("type", "header").put("model", model).put("mode", "rules+lookup")
                .put("prompt", prompt);
        ArrayNode pids = header.putArray("prompt_ids");
        Arrays.stream(promptIds).forEach(pids::add);
        header.putObject("settings").put("temperature", 0.0).put("max_tokens", 512).put("max_draft", MAX_GUESSES);
        out.append(header).append('\n');
        int pos = 0;
        long drafted = 0;
        long accepted = 0;
        int passes = 0;
        double ms = 0;
        java.util.Map<String, long[]> perRule = new java.util.TreeMap<>();
        while (pos < target.length) {
            List<Guess> guesses = propose(history);
            int k = 0;
            while (k < guesses.size() && pos + k < target.length && guesses.get(k).id() == target[pos + k]) {
                k++;
            }
            int modelToken = pos + k < target.length ? target[pos + k] : -1;
            ObjectNode step = JSON.createObjectNode().put("type", "step").put("position", history.size());
            ArrayNode g = step.putArray("guessed");
            ArrayNode r = step.putArray("rules");
            for (int i = 0; i < guesses.size(); i++) {
                Guess x = guesses.get(i);
                g.add(x.id());
                r.add(x.rule());
                long[] c = perRule.computeIfAbsent(x.rule(), q -> new long[2]);
                c[0]++;
                c[1] += i < k ? 1 : 0;
            }
            double stepMs = 38.0 + 4.5 * guesses.size() + (history.size() % 7);
            step.put("accepted", k).put("model_token", modelToken).put("tree_size", guesses.size()).put("ms", stepMs);
            out.append(step).append('\n');
            drafted += guesses.size();
            accepted += k;
            passes++;
            ms += stepMs;
            for (int i = 0; i < k; i++) {
                history.add(target[pos + i]);
            }
            if (modelToken >= 0) {
                history.add(modelToken);
            }
            pos += k + 1;
        }
        ObjectNode summary = JSON.createObjectNode().put("type", "summary").put("total_tokens", target.length)
                .put("tokens_per_second", target.length / (ms / 1000)).put("forward_passes", passes)
                .put("tokens_per_forward", (double) target.length / passes)
                .put("acceptance_rate", drafted == 0 ? 0 : (double) accepted / drafted);
        ObjectNode pr = summary.putObject("per_rule");
        perRule.forEach((name, c) -> pr.putObject(name).put("drafted", c[0]).put("accepted", c[1]));
        out.append(summary).append('\n');
        return out.toString();
    }

    List<Guess> propose(List<Integer> history) {
        List<Integer> h = new ArrayList<>(history);
        List<Guess> out = new ArrayList<>();
        while (out.size() < MAX_GUESSES) {
            Guess g = indentation(h);
            if (g == null) {
                g = idiom(h);
            }
            if (g == null) {
                g = copy(h);
            }
            if (g == null) {
                break;
            }
            out.add(g);
            h.add(g.id());
        }
        return out;
    }

    /** After a newline: the previous line's indentation, one level deeper after ":\n" (N spaces = N-1 + " word"). */
    private Guess indentation(List<Integer> h) {
        if (h.isEmpty()) {
            return null;
        }
        String last = tok.piece(h.getLast());
        if (!last.endsWith("\n")) {
            return null;
        }
        String text = tok.decode(h.stream().mapToInt(Integer::intValue).toArray());
        String[] lines = text.split("\n", -1);
        int width = 0;
        for (int i = lines.length - 2; i >= 0; i--) {
            if (!lines[i].isBlank()) {
                width = lines[i].length() - lines[i].stripLeading().length();
                break;
            }
        }
        if (last.endsWith(":\n")) {
            width += 4;
        }
        if (width < 2) {
            return null;
        }
        int id = tok.idOf(" ".repeat(width - 1));
        return id < 0 ? null : new Guess(id, "indent");
    }

    private Guess idiom(List<Integer> h) {
        String last = tok.piece(h.getLast());
        String next = switch (last) {
            case " in" -> " range";
            case " range" -> "(";
            case " self", "self" -> ".";
            case " return" -> " ";
            case ")" -> ":\n";
            default -> null;
        };
        if (next == null) {
            return null;
        }
        int id = tok.idOf(next);
        return id < 0 ? null : new Guess(id, "idiom");
    }

    /** What followed the last earlier occurrence of the three most recent tokens. */
    private static Guess copy(List<Integer> h) {
        int n = h.size();
        for (int j = n - 2; j >= 2; j--) {
            if (h.get(j).equals(h.get(n - 1)) && h.get(j - 1).equals(h.get(n - 2)) && h.get(j - 2).equals(h.get(n - 3))) {
                return new Guess(h.get(j + 1), "context-copy");
            }
        }
        return null;
    }
}
