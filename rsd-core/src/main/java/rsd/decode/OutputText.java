package rsd.decode;

import java.util.List;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * The generated text as tokens arrive: decodes them, finds stop strings, and decides how much text can be
 * released to a streaming listener. Text that could be the start of a stop string is held back until it
 * is clearly not one, so a stop string never reaches the listener. Every mode feeds tokens through here
 * one at a time, in order, so stops fall on the same token in every mode.
 */
final class OutputText {
    private final Tokenizer tokenizer;
    private final StreamingDecoder decoder;
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int released;
    private boolean stopped;

    OutputText(Tokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.decoder = tokenizer.streamingDecoder();
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /**
     * Adds one generated token. {@code last} says generation ends with this token whatever its text (end
     * of generation, length limit). Returns the text to release now.
     */
    String add(int id, boolean last) {
        int before = text.length();
        if (!tokenizer.isSpecial(id)) {
            text.append(decoder.push(id));
        }
        int stopAt = findStop(before);
        if (stopAt >= 0) {
            text.setLength(stopAt);
            stopped = true;
            return release(text.length());
        }
        if (last) {
            text.append(decoder.flush());
            return release(text.length());
        }
        return release(text.length() - heldBack());
    }

    /** True once a stop string was found; the text then ends just before it. */
    boolean stopped() {
        return stopped;
    }

    String text() {
        return text.toString();
    }

    private String release(int upTo) {
        upTo = Math.max(upTo, released);
        String out = text.substring(released, upTo);
        released = upTo;
        return out;
    }

    private int findStop(int newFrom) {
        int best = -1;
        for (String s : stops) {
            int from = Math.max(0, Math.max(released, newFrom - s.length() + 1));
            int i = text.indexOf(s, from);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** Length of the longest unreleased suffix that is a proper prefix of some stop string. */
    private int heldBack() {
        int hold = 0;
        int len = text.length();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, len - released); k > hold; k--) {
                if (regionEquals(len - k, s, k)) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }

    private boolean regionEquals(int start, String s, int k) {
        for (int i = 0; i < k; i++) {
            if (text.charAt(start + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
