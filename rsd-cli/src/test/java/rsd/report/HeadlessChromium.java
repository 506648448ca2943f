package rsd.report;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Loads a page in a real headless Chromium: returns the DOM after scripts ran, the browser's log (console
 * messages included) and a screenshot. A missing browser fails the test: CI installs Debian's chromium, and a
 * skipped browser check would hide broken pages.
 */
final class HeadlessChromium {
    record Result(String dom, String log, Path screenshot) {
        /** Console messages the page produced (uncaught errors, console.error, failed loads). */
        List<String> consoleLines() {
            return log.lines().filter(l -> l.contains(":CONSOLE")).toList();
        }
    }

    private HeadlessChromium() {
    }

    static Path binary() {
        String override = System.getenv("RSD_CHROMIUM");
        List<Path> candidates = new ArrayList<>();
        if (override != null && !override.isBlank()) {
            candidates.add(Path.of(override));
        }
        candidates.add(Path.of("/usr/bin/chromium"));
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "chromium"));
                candidates.add(Path.of(dir, "chromium-browser"));
            }
        }
        for (Path c : candidates) {
            if (Files.isExecutable(c)) {
                return c;
            }
        }
        return fail("chromium not found (looked at /usr/bin/chromium and PATH): the HTML report tests need a real "
                + "headless browser. Install it with `apt-get install chromium` (.ci/run does), or set RSD_CHROMIUM.");
    }

    static Result load(Path html, Path screenshot) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("rsd-chromium-");
        Path out = Files.createTempFile("rsd-chromium-dom", ".html");
        Path err = Files.createTempFile("rsd-chromium-log", ".txt");
        Files.createDirectories(screenshot.toAbsolutePath().getParent());
        Files.deleteIfExists(screenshot);
        try {
            List<String> cmd = List.of(binary().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                    "--window-size=1280,2000", "--screenshot=" + screenshot.toAbsolutePath(), "--dump-dom",
                    html.toAbsolutePath().toUri().toString());
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("chromium did not finish loading " + html + " within 120 s");
            }
            String log = Files.readString(err, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                fail("chromium exited with " + p.exitValue() + " on " + html + ":\n" + log);
            }
            return new Result(Files.readString(out, StandardCharsets.UTF_8), log, screenshot);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A profile file still held by an exiting helper process; the temp dir is cleaned by the OS later.
        }
    }
}
