package rsd.decode;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import rsd.metrics.RuleStats;
import rsd.metrics.StepTrace;

/** JSON forms of generation results and steps, shared by `generate --json`, traces and the server. */
public final class ResultJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultJson() {
    }

    /** The metrics of a generation (the names of docs/core.md, Metrics), with text and ids when asked. */
    public static ObjectNode result(GenerationResult r, boolean withText) {
        ObjectNode o = JSON.createObjectNode();
        if (withText) {
            o.put("text", r.text());
            ArrayNode ids = o.putArray("token_ids");
            for (int id : r.tokenIds()) {
                ids.add(id);
            }
        }
        o.put("prompt_tokens", r.promptTokens());
        o.put("total_tokens", r.totalTokens());
        o.put("elapsed_time", r.elapsedSeconds());
        o.put("tokens_per_second", r.tokensPerSecond());
        o.put("forward_passes", r.forwardPasses());
        o.put("tokens_per_forward", r.tokensPerForward());
        o.put("drafted_tokens", r.draftedTokens());
        o.put("accepted_tokens", r.acceptedTokens());
        o.put("acceptance_rate", r.acceptanceRate());
        o.set("per_rule", perRule(r.perRule()));
        o.put("stop_reason", r.stopReason());
        return o;
    }

    public static ObjectNode perRule(Map<String, RuleStats> stats) {
        ObjectNode o = JSON.createObjectNode();
        stats.forEach((rule, s) -> {
            ObjectNode r = o.putObject(rule);
            r.put("drafted", s.drafted());
            r.put("accepted", s.accepted());
        });
        return o;
    }

    /** One step as a trace line. */
    public static ObjectNode step(StepTrace s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "step");
        o.put("position", s.position());
        guesses(o, s.guessed(), s.rules());
        o.put("accepted", s.accepted());
        o.put("model_token", s.modelToken());
        o.put("tree_size", s.treeSize());
        o.put("ms", Math.round(s.millis() * 1000) / 1000.0);
        if (!s.otherBranches().isEmpty()) {
            ArrayNode branches = o.putArray("branches");
            for (StepTrace.Branch b : s.otherBranches()) {
                guesses(branches.addObject().put("from", b.from()), b.guessed(), b.rules());
            }
        }
        return o;
    }

    /** "guessed": the ids, "rules": the rule of each. */
    private static void guesses(ObjectNode o, int[] ids, String[] rules) {
        ArrayNode guessed = o.putArray("guessed");
        for (int id : ids) {
            guessed.add(id);
        }
        ArrayNode names = o.putArray("rules");
        for (String r : rules) {
            names.add(r);
        }
    }
}
