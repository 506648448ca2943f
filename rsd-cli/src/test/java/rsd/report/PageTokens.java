package rsd.report;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the token spans back out of a token-view page: class, id and the exact bytes shown (glyphs turned
 * back into the whitespace they stand for), so tests can check the page against the ids it was made from.
 */
final class PageTokens {
    record Shown(String cls, int id, byte[] bytes, String raw, String title) {
        boolean has(String c) {
            return List.of(cls.split(" ")).contains(c);
        }

        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static final Pattern TOKEN = Pattern.compile(
            "<span class=\"t ([^\"]*)\" data-id=\"(\\d+)\" title=\"([^\"]*)\">"
                    + "((?:[^<]|<span class=\"(?:ws|nl|ctl|bx)\">[^<]*</span>\n?)*)</span>");
    private static final Pattern INNER = Pattern.compile("<span class=\"(ws|nl|ctl|bx)\">([^<]*)</span>(\n?)|([^<]+)");

    private PageTokens() {
    }

    /** The token spans inside the element with id {@code preId} (the token area), in page order. */
    static List<Shown> in(String html, String preId) {
        int start = html.indexOf("<pre class=\"tokens\" id=\"" + preId + "\">");
        if (start < 0) {
            throw new AssertionError("no token area #" + preId);
        }
        int end = html.indexOf("</pre>", start);
        Matcher m = TOKEN.matcher(html.substring(start, end));
        List<Shown> out = new ArrayList<>();
        while (m.find()) {
            out.add(new Shown(m.group(1), Integer.parseInt(m.group(2)), bytes(m.group(4)), m.group(4), unescape(m.group(3))));
        }
        return out;
    }

    static byte[] bytes(String inner) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Matcher m = INNER.matcher(inner);
        while (m.find()) {
            if (m.group(4) != null) {
                out.writeBytes(unescape(m.group(4)).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            String text = unescape(m.group(2));
            switch (m.group(1)) {
                case "ws" -> out.writeBytes(text.replace(Glyphs.SPACE, " ").replace(Glyphs.TAB, "\t")
                        .getBytes(StandardCharsets.UTF_8));
                case "nl" -> out.writeBytes(text.replace(Glyphs.NEWLINE, "\n").getBytes(StandardCharsets.UTF_8));
                case "ctl" -> text.codePoints().forEach(cp -> {
                    if (cp >= 0x2400 && cp < 0x2420) {
                        out.write(cp - 0x2400);
                    } else if (cp == 0x2421) {
                        out.write(0x7f);
                    } else {
                        throw new AssertionError("glyph U+" + Integer.toHexString(cp) + " does not map back to one byte");
                    }
                });
                case "bx" -> {
                    for (String hex : text.split("\\\\x")) {
                        if (!hex.isEmpty()) {
                            out.write(Integer.parseInt(hex, 16));
                        }
                    }
                }
                default -> throw new AssertionError(m.group(1));
            }
        }
        return out.toByteArray();
    }

    static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
    }

    static String join(List<Shown> shown) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        shown.forEach(s -> out.writeBytes(s.bytes()));
        return out.toString(StandardCharsets.UTF_8);
    }
}
