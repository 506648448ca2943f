package rsd.report;

import java.util.Locale;

/** Escaping and the shared page frame (style, error hook) of rsd's self-contained HTML pages. */
final class Html {
    private Html() {
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static String fmt(double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "\u2013";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "\u2013" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    static String count(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    /**
     * Opens a page. The first script records uncaught errors into #js-errors, so a test (or a reader) can see
     * that the page's own script failed without opening developer tools.
     */
    static void open(StringBuilder sb, String title, String extraCss) {
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(title)).append("</title>\n")
                .append("<script>window.onerror=function(m,s,l){var e=document.getElementById('js-errors');")
                .append("if(e){e.hidden=false;e.textContent+=m+' (line '+l+')\\n';}};</script>\n")
                .append("<style>\n").append(BASE_CSS).append(extraCss).append("</style>\n</head>\n<body>\n")
                .append("<pre id=\"js-errors\" hidden></pre>\n");
    }

    static void close(StringBuilder sb, String script) {
        if (script != null && !script.isEmpty()) {
            sb.append("<script>\n").append(script).append("</script>\n");
        }
        sb.append("</body>\n</html>\n");
    }

    /** A small inline bar for table cells: the width is the fraction, clamped to [0, 1]. */
    static String bar(double fraction, String cssClass) {
        double f = Double.isNaN(fraction) ? 0 : Math.max(0, Math.min(1, fraction));
        return "<span class=\"bar " + cssClass + "\"><span style=\"width:"
                + String.format(Locale.ROOT, "%.1f", 100 * f) + "%\"></span></span>";
    }

    private static final String BASE_CSS = """
            :root{--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f6f8fa;--card:#fff;
              --good:#1a7f37;--good-bg:#dafbe1;--bad:#cf222e;--bad-bg:#ffebe9;--accent:#0969da}
            *{box-sizing:border-box}
            body{margin:0;padding:24px 32px 64px;background:var(--bg);color:var(--fg);
              font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
            h1{font-size:22px;margin:0 0 4px}
            h2{font-size:17px;margin:0 0 12px}
            .sub{color:var(--muted);margin:0 0 20px}
            section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:0 0 18px}
            .cards{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 18px}
            .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:140px}
            .card .v{font-size:22px;font-weight:600}
            .card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
            table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
            th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
            th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
            th:first-child,td:first-child{text-align:left}
            td.l,th.l{text-align:left}
            tr.total td{font-weight:600;border-top:2px solid var(--line)}
            .bar{display:inline-block;width:90px;height:9px;background:#eaeef2;border-radius:5px;vertical-align:middle;margin-right:6px;overflow:hidden}
            .bar>span{display:block;height:100%;border-radius:5px}
            .bar.g>span{background:var(--good)}.bar.b>span{background:var(--accent)}.bar.r>span{background:var(--bad)}
            .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
            .badge.good{background:var(--good-bg);color:var(--good)}.badge.bad{background:var(--bad-bg);color:var(--bad)}
            .badge.mid{background:#fff8c5;color:#7d4e00}
            .note{color:var(--muted);font-size:12px;margin:8px 0 0}
            code,.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
            #js-errors{background:var(--bad-bg);color:var(--bad);padding:8px;border:1px solid var(--bad)}
            """;
}
