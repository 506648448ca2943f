package rsd.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a long write on stderr: on a terminal one line redrawn in place whenever the whole percent
 * changes; otherwise (logs, pipes) a line at every quarter, so a log never fills with redraws.
 */
final class PercentProgress {
    private final PrintWriter err;
    private final String label;
    private final boolean terminal;
    private int shown = -1;
    private String lastDetail = "";

    PercentProgress(PrintWriter err, String label, boolean terminal) {
        this.err = err;
        this.label = label;
        this.terminal = terminal;
    }

    void update(long done, long total, String detail) {
        lastDetail = detail;
        int percent = (int) Math.min(100, 100 * done / Math.max(1, total));
        int step = terminal ? percent : percent / 25 * 25;
        if (step == shown) {
            return;
        }
        shown = step;
        String text = String.format(Locale.ROOT, "%s: %3d%% %s", label, step, detail);
        if (terminal) {
            err.print("\r\u001b[K" + text);
        } else {
            err.println(text);
        }
        err.flush();
    }

    /** Shows 100 % if the last update fell short of it, and ends the redrawn line on a terminal. */
    void finish() {
        if (shown < 100) {
            update(1, 1, lastDetail);
        }
        if (terminal) {
            err.println();
            err.flush();
        }
    }
}
