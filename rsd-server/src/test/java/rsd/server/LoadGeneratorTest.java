package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The load tool behind the documented latency figures counts what it claims to count. */
class LoadGeneratorTest {
    @Test
    void nearestRankPercentiles() {
        double[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(LoadGenerator.percentile(sorted, 50)).isEqualTo(5);
        assertThat(LoadGenerator.percentile(sorted, 95)).isEqualTo(10);
        assertThat(LoadGenerator.percentile(sorted, 10)).isEqualTo(1);
        assertThat(LoadGenerator.percentile(new double[0], 50)).isZero();
    }

    @Test
    void reportsEveryRequestItsTokensAndTheExactTexts() throws Exception {
        try (OpenAiServer server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 2, 4, 1 << 16, 1024, "m", 1000),
                () -> new ScriptedGenerator(1), OpenAiServerSdkTest.QUIET)) {
            List<LoadGenerator.Sample> samples = new CopyOnWriteArrayList<>();
            LoadGenerator.Report r = LoadGenerator.run(server.baseUrl(), 3, 4, 5, samples);
            assertThat(r.requests()).isEqualTo(12);
            assertThat(r.errors()).isZero();
            assertThat(r.completionTokens()).isEqualTo(12 * 5);
            assertThat(samples).filteredOn(LoadGenerator.Sample::streamed).hasSize(6);
            assertThat(r.p50()).isPositive().isLessThanOrEqualTo(r.p95());
            assertThat(r.p95()).isLessThanOrEqualTo(r.max());
            ByteTokenizer tok = new ByteTokenizer();
            for (LoadGenerator.Sample s : samples) {
                assertThat(s.text()).isIn(allExpected(tok, 3, 4, 5));
            }
            // the server's own figure: one observation per request of this run, each shorter than its request
            assertThat(r.serverFirstToken()).isNotNull();
            assertThat(r.serverFirstToken().count()).isEqualTo(12);
            assertThat(r.serverFirstToken().mean()).isPositive().isLessThanOrEqualTo(r.max());
            assertThat(r.serverFirstToken().p50()).isPositive();
            assertThat(r.toString()).contains("server's time to first token p50");

            // a second run counts its own requests only
            LoadGenerator.Report again = LoadGenerator.run(server.baseUrl(), 1, 2, 3, new CopyOnWriteArrayList<>());
            assertThat(again.serverFirstToken().count()).isEqualTo(2);
        }
    }

    @Test
    void histogramQuantileInterpolatesInsideTheBucketAsPromQlDoes() {
        String scrape = """
                # TYPE vllm:time_to_first_token_seconds histogram
                vllm:time_to_first_token_seconds_bucket{model_name="a",le="0.1"} 2
                vllm:time_to_first_token_seconds_bucket{model_name="a",le="0.5"} 6
                vllm:time_to_first_token_seconds_bucket{model_name="a",le="+Inf"} 8
                vllm:time_to_first_token_seconds_count{model_name="a"} 8
                vllm:time_to_first_token_seconds_sum{model_name="a"} 2.4
                vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="b"} 0
                vllm:time_to_first_token_seconds_bucket{le="0.5",model_name="b"} 2
                vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="b"} 2
                vllm:time_to_first_token_seconds_count{model_name="b"} 2
                vllm:time_to_first_token_seconds_sum{model_name="b"} 0.6
                """;
        LoadGenerator.Histogram h = LoadGenerator.Histogram.parse(scrape, LoadGenerator.FIRST_TOKEN);
        assertThat(h.count).isEqualTo(10);
        assertThat(h.sum).isEqualTo(3.0);
        // rank 5 of 10 lies in (0.1, 0.5], which holds observations 3..8: 0.1 + 0.4 * (5 - 2) / 6
        assertThat(h.quantile(0.5)).isCloseTo(0.3, org.assertj.core.api.Assertions.within(1e-12));
        // beyond the last finite bound: that bound
        assertThat(h.quantile(0.95)).isEqualTo(0.5);
        assertThat(LoadGenerator.Histogram.parse("up 1\n", LoadGenerator.FIRST_TOKEN)).isNull();
    }

    private static List<String> allExpected(ByteTokenizer tok, int clients, int requests, int tokens) {
        List<String> out = new java.util.ArrayList<>();
        for (int c = 0; c < clients; c++) {
            for (int i = 0; i < requests; i++) {
                int[] ids = tok.encode(LoadGenerator.prompt(c, i));
                int[] withBos = new int[ids.length + 1];
                withBos[0] = ByteTokenizer.BOS;
                System.arraycopy(ids, 0, withBos, 1, ids.length);
                out.add(ScriptedGenerator.expected(withBos, tokens));
            }
        }
        return out;
    }
}
