package rsd.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import rsd.decode.ResultJson;

/**
 * The benchmark's JSON document, read by {@code rsd bench --html} and the report tools:
 * {@code {"model": {...}, "dataset": {"name", "problems"}, "settings": {...}, "modes": [...],
 * "problems": [...]}} with the field names below.
 */
public final class BenchJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchJson() {
    }

    public static ObjectNode build(ObjectNode model, String datasetName, int problemCount, ObjectNode settings,
                                   List<ModeSummary> modes, List<BenchRunner.Run> runs) {
        ObjectNode root = JSON.createObjectNode();
        root.set("model", model);
        ObjectNode dataset = root.putObject("dataset");
        dataset.put("name", datasetName);
        dataset.put("problems", problemCount);
        root.set("settings", settings);
        List<SpeedupSpread> spreads = SpeedupSpread.of(runs);
        // The mode that beat every other in each repeat, or null when the speed-ups overlap (or one repeat).
        String fastest = SpeedupSpread.fastest(spreads);
        if (fastest == null) {
            root.putNull("fastest_mode");
        } else {
            root.put("fastest_mode", fastest);
        }
        ArrayNode modeArray = root.putArray("modes");
        for (ModeSummary m : modes) {
            ObjectNode o = modeArray.addObject();
            o.put("mode", m.mode());
            o.put("problems", m.problems());
            o.put("total_tokens", m.totalTokens());
            o.put("elapsed_s", m.elapsedSeconds());
            o.put("tokens_per_second", m.tokensPerSecond());
            o.put("forward_passes", m.forwardPasses());
            o.put("tokens_per_forward", m.tokensPerForward());
            o.put("drafted_tokens", m.draftedTokens());
            o.put("accepted_tokens", m.acceptedTokens());
            o.put("acceptance_rate", m.acceptanceRate());
            o.put("speedup_vs_standard", m.speedupVsStandard());
            spreads.stream().filter(s -> s.mode().equals(m.mode())).findFirst().ifPresent(s -> {
                o.put("speedup_min", s.min());
                o.put("speedup_max", s.max());
            });
            putNullable(o, "identical_to_standard", m.identicalToStandard());
            o.put("differing_problems", m.differingProblems());
            ObjectNode rules = ResultJson.perRule(m.perRule());
            // every accepted guessed token is one forward pass that did not have to run
            m.perRule().forEach((rule, st) -> ((ObjectNode) rules.get(rule)).put("saved_forwards_per_100_tokens",
                    m.totalTokens() == 0 ? 0.0 : 100.0 * st.accepted() / m.totalTokens()));
            o.set("per_rule", rules);
            o.put("decode_steps_s", m.stepSeconds());
            ObjectNode sizes = o.putObject("forward_sizes");
            m.forwardSizes().forEach((t, n) -> sizes.put(Integer.toString(t), n));
            ObjectNode stepMs = o.putObject("step_ms_by_size");
            m.stepMillisBySize().forEach((t, ms) -> stepMs.put(Integer.toString(t), ms));
        }
        ArrayNode problems = root.putArray("problems");
        for (BenchRunner.Run r : runs) {
            ObjectNode o = problems.addObject();
            o.put("task_id", r.problem().taskId());
            o.put("mode", r.mode());
            o.put("language", r.problem().language());
            o.put("tokens", r.result().totalTokens());
            o.put("elapsed_s", r.result().elapsedSeconds());
            o.put("tokens_per_second", r.result().tokensPerSecond());
            o.put("forward_passes", r.result().forwardPasses());
            o.put("tokens_per_forward", r.result().tokensPerForward());
            o.put("drafted", r.result().draftedTokens());
            o.put("accepted", r.result().acceptedTokens());
            putNullable(o, "identical_to_standard", r.identicalToStandard());
            o.put("stop_reason", r.result().stopReason());
            o.set("per_rule", ResultJson.perRule(r.result().perRule()));
            o.put("text", r.result().text());
        }
        return root;
    }

    private static void putNullable(ObjectNode o, String field, Boolean value) {
        if (value == null) {
            o.putNull(field);
        } else {
            o.put(field, value);
        }
    }
}
