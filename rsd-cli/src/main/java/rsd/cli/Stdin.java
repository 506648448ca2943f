package rsd.cli;

import java.io.IOException;
import rsd.error.RsdException;
import rsd.tokenizer.Utf8;

/** Text a user pipes in with {@code -f -}. */
final class Stdin {
    private Stdin() {
    }

    /** All of stdin as strict UTF-8; {@code option} names where it was asked for in the error message. */
    static String readUtf8(String option) {
        byte[] bytes;
        try {
            bytes = System.in.readAllBytes();
        } catch (IOException e) {
            throw new RsdException(option + ": cannot read stdin (" + RsdException.reason(e) + ")");
        }
        String text = Utf8.strictOrNull(bytes);
        if (text == null) {
            throw new RsdException(option + ": stdin is not UTF-8 text (convert it, e.g. with iconv -t UTF-8)");
        }
        return text;
    }
}
