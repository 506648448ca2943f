package rsd.report;

import java.util.ArrayList;
import java.util.List;
import rsd.tokenizer.Utf8;

/**
 * Turns a token's raw bytes into visible runs: spaces, tabs and newlines become glyphs so that a token such
 * as seven spaces or "):\n" can be seen for what it is, and bytes that are not a whole UTF-8 character
 * (byte-level BPE splits characters between tokens) show as hex instead of disappearing.
 */
final class Glyphs {
    static final String SPACE = "\u00b7"; // middle dot
    static final String TAB = "\u21e5"; // rightwards arrow to bar
    static final String NEWLINE = "\u21b5"; // downwards arrow with corner leftwards

    enum Kind { TEXT, SPACE, TAB, NEWLINE, CONTROL, BYTE }

    /** A stretch of one kind; {@code text} is what to show (glyphs for whitespace, hex for stray bytes). */
    record Run(Kind kind, String text) {
    }

    private Glyphs() {
    }

    static List<Run> runs(byte[] bytes) {
        List<Run> out = new ArrayList<>();
        String text = Utf8.strictOrNull(bytes);
        if (text == null) {
            for (byte b : bytes) {
                int v = b & 0xff;
                if (v >= 0x21 && v < 0x7f) {
                    add(out, Kind.TEXT, String.valueOf((char) v));
                } else if (v < 0x80) {
                    addCodePoint(out, v);
                } else {
                    add(out, Kind.BYTE, String.format("\\x%02X", v));
                }
            }
            return out;
        }
        text.codePoints().forEach(cp -> addCodePoint(out, cp));
        return out;
    }

    private static void addCodePoint(List<Run> out, int cp) {
        switch (cp) {
            case ' ' -> add(out, Kind.SPACE, SPACE);
            case '\t' -> add(out, Kind.TAB, TAB);
            // Each newline is its own run: the renderer follows it with a real line break.
            case '\n' -> out.add(new Run(Kind.NEWLINE, NEWLINE));
            case '\r' -> add(out, Kind.CONTROL, "\u240d");
            default -> {
                if (cp < 0x20) {
                    add(out, Kind.CONTROL, new String(Character.toChars(0x2400 + cp)));
                } else if (cp == 0x7f) {
                    add(out, Kind.CONTROL, "\u2421");
                } else if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                    add(out, Kind.CONTROL, "\u237d"); // non-ASCII space: visible, distinct from ' '
                } else {
                    add(out, Kind.TEXT, new String(Character.toChars(cp)));
                }
            }
        }
    }

    private static void add(List<Run> out, Kind kind, String s) {
        if (!out.isEmpty() && out.getLast().kind() == kind && kind != Kind.NEWLINE) {
            Run last = out.removeLast();
            out.add(new Run(kind, last.text() + s));
        } else {
            out.add(new Run(kind, s));
        }
    }

    /** A quoted literal of the token, escapes as in Java/Python source: {@code "):\n"}, {@code "\xE2"}. */
    static String literal(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        String text = Utf8.strictOrNull(bytes);
        if (text == null) {
            for (byte b : bytes) {
                int v = b & 0xff;
                if (v < 0x80) {
                    appendEscaped(sb, v);
                } else {
                    sb.append(String.format("\\x%02X", v));
                }
            }
        } else {
            text.codePoints().forEach(cp -> appendEscaped(sb, cp));
        }
        return sb.append('"').toString();
    }

    private static void appendEscaped(StringBuilder sb, int cp) {
        switch (cp) {
            case '\n' -> sb.append("\\n");
            case '\t' -> sb.append("\\t");
            case '\r' -> sb.append("\\r");
            case '"' -> sb.append("\\\"");
            case '\\' -> sb.append("\\\\");
            default -> {
                if (cp < 0x20 || cp == 0x7f) {
                    sb.append(String.format("\\x%02X", cp));
                } else {
                    sb.appendCodePoint(cp);
                }
            }
        }
    }

    /** True when every byte is ASCII whitespace (space, tab, CR, LF) and there is at least one. */
    static boolean isWhitespaceOnly(byte[] bytes) {
        if (bytes.length == 0) {
            return false;
        }
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    static boolean endsWithNewline(byte[] bytes) {
        return bytes.length > 0 && bytes[bytes.length - 1] == '\n';
    }
}
