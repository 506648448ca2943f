package rsd.report;

import java.util.Locale;

/** Colours for token boundaries and rules. */
final class Palette {
    /** Categorical rule colours (Tableau 10 without its red and green, which mean rejected and accepted). */
    static final String[] RULES = {"#4e79a7", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
        "#ff9da7", "#17becf", "#bab0ac", "#7f7f7f"};

    private Palette() {
    }

    static String rule(int i) {
        return RULES[i % RULES.length];
    }

    /**
     * Pastel background {@code i}. Hues step by the golden angle, so neighbours in the cycle (neighbouring
     * tokens) differ strongly whatever the palette size.
     */
    static String pastel(int i) {
        double hue = (i * 137.508) % 360;
        int light = i % 2 == 0 ? 88 : 82;
        return String.format(Locale.ROOT, "hsl(%.0f,70%%,%d%%)", hue, light);
    }

    /** Neutral background {@code i} for traces, where colour is kept for accepted/rejected. */
    static String neutral(int i) {
        int light = i % 2 == 0 ? 95 - (i / 2) % 3 : 87 - (i / 2) % 3;
        return String.format(Locale.ROOT, "hsl(212,14%%,%d%%)", light);
    }

    /** xterm-256 background for pastel {@code i}: picked from the 6x6x6 cube's light corner. */
    static int ansiPastel(int i) {
        int[] light = {224, 194, 189, 230, 225, 195, 223, 153, 229, 183, 158, 217};
        return light[i % light.length];
    }

    static int ansiNeutral(int i) {
        return i % 2 == 0 ? 255 : 252;
    }

    /** xterm-256 foreground colours for rules, in the order of {@link #RULES}. */
    static int ansiRule(int i) {
        int[] c = {67, 208, 139, 109, 185, 137, 211, 44, 145, 244};
        return c[i % c.length];
    }
}
