package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that sends half a request loses its connection after the request time limit. The JDK server
 * reads that limit once per JVM, so each case runs a server in a JVM of its own ({@link Child}).
 */
class RequestTimeoutTest {
    /** Starts a server on a free port, prints "PORT limit", and serves until killed. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            OpenAiServer server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 4096, 256, "m", 1000),
                    () -> new ScriptedGenerator(0), System.err);
            System.out.println(server.port() + " " + System.getProperty(OpenAiServer.MAX_REQUEST_TIME));
            System.out.flush();
            Thread.sleep(60_000);
            server.close();
        }
    }

    private static Process child(String... jvmOptions) throws Exception {
        return child(ProcessBuilder.Redirect.DISCARD, jvmOptions);
    }

    private static Process child(ProcessBuilder.Redirect stderr, String... jvmOptions) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        return new ProcessBuilder(command).redirectError(stderr).start();
    }

    private static String[] firstLine(Process p) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertThat(line).as("the child server's first line").isNotNull();
        return line.split(" ");
    }

    /** Sends part of a request, then waits: the milliseconds until the server closed the connection. */
    private static long millisUntilClosed(int port, long waitMillis) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) waitMillis);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"prompt\":").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            InputStream in = s.getInputStream();
            try {
                while (in.read() >= 0) {
                    // whatever the server answers before closing
                }
            } catch (SocketTimeoutException e) {
                return Long.MAX_VALUE;
            } catch (java.net.SocketException e) {
                // reset by the server: closed too
            }
            return (System.nanoTime() - start) / 1_000_000;
        }
    }

    @Test
    void halfARequestIsCutOffAfterTheLimit(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("server.log");
        Process p = child(ProcessBuilder.Redirect.to(log.toFile()), "-D" + OpenAiServer.MAX_REQUEST_TIME + "=1");
        try {
            String[] line = firstLine(p);
            assertThat(line[1]).isEqualTo("1");
            int port = Integer.parseInt(line[0]);
            // the limit is checked on a one-second tick: closed after 1 to about 2 seconds, well before 10
            assertThat(millisUntilClosed(port, 10_000)).isBetween(900L, 5_000L);
            // counted as a timeout, logged in one line without a stack trace
            String metrics = "";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!metrics.contains("status=\"408\"") && System.nanoTime() < deadline) {
                Thread.sleep(50);
                try (HttpClient http = HttpClient.newHttpClient()) {
                    metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                }
            }
            assertThat(OpenAiServerSdkTest.value(metrics, "rsd_http_requests_total{route=\"/v1/completions\",status=\"408\"}"))
                    .isEqualTo(1);
            assertThat(metrics).doesNotContain("status=\"500\"");
            // SLF4J's notice that it has no binding: the test class path has the OpenAI SDK's slf4j-api, which
            // Micrometer then logs through; rsd's own class path has no SLF4J.
            List<String> logged = Files.readAllLines(log).stream()
                    .filter(l -> !l.startsWith("WARNING") && !l.startsWith("SLF4J: ")).toList();
            assertThat(logged).as("the server's log").hasSize(1);
            assertThat(logged.get(0)).contains("--request-timeout");
        } finally {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theServerSetsItsDefaultLimitWhenNoneIsGiven() throws Exception {
        Process p = child();
        try {
            String[] line = firstLine(p);
            assertThat(line[1]).isEqualTo(Long.toString(OpenAiServer.DEFAULT_REQUEST_SECONDS));
            // and does not cut a slow client off early
            assertThat(millisUntilClosed(Integer.parseInt(line[0]), 2_500)).isEqualTo(Long.MAX_VALUE);
        } finally {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
