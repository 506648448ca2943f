package rsd.bench;

import java.util.List;

/** One benchmark prompt: an id, the text to continue, its language, and where generation stops. */
public record Problem(String taskId, String prompt, String language, List<String> stopStrings) {
    /** HumanEval's stop strings: the function ends where top-level code starts again. */
    public static final List<String> PYTHON_STOPS = List.of("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#");
    /** C-family prompts are one top-level function or class: it ends at its closing brace. */
    public static final List<String> C_FAMILY_STOPS = List.of("\n}");

    public static List<String> stopsFor(String language) {
        return "python".equalsIgnoreCase(language) ? PYTHON_STOPS : C_FAMILY_STOPS;
    }
}
