package rsd.report;

import java.util.Locale;
import rsd.report.TokenView.Role;
import rsd.report.TokenView.RuleRow;
import rsd.report.TokenView.SpaceRow;
import rsd.report.TokenView.Tok;

/** Renders a {@link TokenView} for a terminal with xterm-256 colours; tables follow as plain text. */
final class TokenViewAnsi {
    private static final String RESET = "\u001b[0m";
    private final TokenView v;
    private final int colors;
    private final StringBuilder sb = new StringBuilder(1 << 14);

    TokenViewAnsi(TokenView view, int colors) {
        this.v = view;
        this.colors = colors;
    }

    String render() {
        if (v.isTrace()) {
            sb.append(bold("Trace " + v.source)).append("  model ").append(v.trace.model()).append(", mode ")
                    .append(v.trace.mode()).append('\n');
            sb.append("legend: ").append(sgr(151, 22, "")).append("accepted").append(RESET).append(' ')
                    .append(sgr(224, 160, "\u001b[9m")).append("rejected").append(RESET).append(' ')
                    .append(sgr(Palette.ansiNeutral(0), 16, "")).append("model").append(RESET).append(' ')
                    .append(sgr(Palette.ansiNeutral(0), 16, "\u001b[2m")).append("prompt").append(RESET)
                    .append("  rules (underline): ");
            for (RuleRow r : v.rules) {
                sb.append("\u001b[38;5;").append(Palette.ansiRule(r.colour())).append("m\u2588").append(RESET)
                        .append(' ').append(r.rule()).append(' ');
            }
            sb.append("\n\n");
            int i = 0;
            for (Tok t : v.prompt) {
                token(t, sgr(Palette.ansiNeutral(i++), 16, "\u001b[2m"));
            }
            int m = 0;
            for (Tok t : v.body) {
                String underline = t.rule() == null ? ""
                        : "\u001b[4m\u001b[58;5;" + Palette.ansiRule(colourOf(t.rule())) + "m";
                switch (t.role()) {
                    case ACCEPTED -> token(t, sgr(151, 22, underline));
                    // another branch of the same forward: dim as well as struck through
                    case REJECTED -> token(t, sgr(224, 160, "\u001b[9m" + (t.otherBranch() ? "\u001b[2m" : "") + underline));
                    default -> token(t, sgr(Palette.ansiNeutral(m++), 16, ""));
                }
            }
        } else {
            sb.append(bold("Tokens of " + v.source)).append(" (").append(v.body.size()).append(" tokens)\n\n");
            int i = 0;
            for (Tok t : v.body) {
                token(t, sgr(Palette.ansiPastel(i++ % colors), 16, ""));
            }
        }
        sb.append(RESET).append("\n\n");
        if (v.isTrace()) {
            rules();
        }
        spaces();
        return sb.toString();
    }

    private int colourOf(String rule) {
        return v.rules.stream().filter(r -> r.rule().equals(rule)).mapToInt(RuleRow::colour).findFirst().orElse(0);
    }

    private static String bold(String s) {
        return "\u001b[1m" + s + RESET;
    }

    private static String sgr(int bg, int fg, String extra) {
        return "\u001b[48;5;" + bg + "m\u001b[38;5;" + fg + "m" + extra;
    }

    /** Each run is styled and reset on its own, so a line break never carries a background to the margin. */
    private void token(Tok t, String style) {
        boolean breakLines = t.role() != Role.REJECTED;
        for (Glyphs.Run run : Glyphs.runs(t.bytes())) {
            sb.append(style);
            switch (run.kind()) {
                case TEXT -> sb.append(run.text());
                case NEWLINE -> sb.append("\u001b[38;5;98m").append(run.text());
                default -> sb.append("\u001b[38;5;246m").append(run.text());
            }
            sb.append(RESET);
            if (run.kind() == Glyphs.Kind.NEWLINE && breakLines) {
                sb.append('\n');
            }
        }
    }

    private void rules() {
        long generated = v.count(Role.ACCEPTED) + v.count(Role.MODEL);
        int steps = v.trace.steps().size();
        sb.append(bold("Rules")).append(String.format(Locale.ROOT, "  (%d generated tokens in %d forward passes, %.2f per pass)%n",
                generated, steps, steps == 0 ? 0.0 : (double) generated / steps));
        sb.append(String.format(Locale.ROOT, "  %-22s %9s %9s %9s %11s %13s %9s%n", "rule", "drafted", "accepted",
                "rejected", "acceptance", "passes saved", "per 100"));
        for (RuleRow r : v.rules) {
            sb.append(String.format(Locale.ROOT, "  \u001b[38;5;%dm\u2588%s %-20s %9d %9d %9d %11s %13d %9s%n",
                    Palette.ansiRule(r.colour()), RESET, r.rule(), r.drafted(), r.accepted(), r.drafted() - r.accepted(),
                    Html.pct(r.rate()), r.accepted(), generated == 0 ? "-" : Html.fmt(100.0 * r.accepted() / generated, 1)));
        }
        if (v.rules.isEmpty()) {
            sb.append("  (no guesses in this trace)\n");
        }
        sb.append('\n');
    }

    private void spaces() {
        sb.append(bold("Whitespace tokens")).append('\n');
        sb.append(String.format(Locale.ROOT, "  %-14s %-9s %6s %7s %8s %14s%n", "token", "kind", "width", "id",
                "count", "at line start"));
        for (SpaceRow r : v.spaces) {
            sb.append(String.format(Locale.ROOT, "  %-14s %-9s %6d %7d %8d %14d%n", Glyphs.literal(r.bytes()), r.kind(),
                    r.width(), r.id(), r.total(), r.atLineStart()));
        }
        if (v.spaces.isEmpty()) {
            sb.append("  (none)\n");
        }
        sb.append("  in the vocabulary:");
        for (TokenView.VocabSpaces r : v.vocabSpaces) {
            sb.append(String.format(Locale.ROOT, "%n    %-9s %6d tokens, widths %s", r.kind(), r.count(), TokenView.ranges(r.widths())));
        }
        sb.append('\n');
    }
}
