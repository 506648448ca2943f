package rsd.server;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.TextGenerator;
import rsd.decode.TokenListener;

/**
 * The bounded queue in front of the decoders. {@code parallel} platform threads decode, each with its own
 * {@link TextGenerator} (so each has its own KV cache session); at most {@code queue} more requests wait.
 * Admission is a non-blocking semaphore of parallel + queue permits, so a full server answers 429 at
 * once instead of letting connections pile up. A permit is returned as soon as the generation ends (or a
 * queued job turns out to be cancelled), before the response is finished.
 *
 * <p>Decoding runs on dedicated platform threads rather than on the HTTP handlers' virtual threads: a
 * CPU-bound forward pass would otherwise hold a carrier thread and starve /health, /metrics and the 429
 * answers.
 */
final class DecodeSlots implements AutoCloseable {
    /** A generation to run; completes with null when it was cancelled before it started. */
    static final class Job {
        final int[] promptIds;
        final GenerationSettings settings;
        final TokenListener listener;
        final BooleanSupplier cancelled;
        final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        /** Its arrival is this job's creation, once the request was read and parsed. */
        final ServerMetrics.Clock clock = new ServerMetrics.Clock();

        Job(int[] promptIds, GenerationSettings settings, TokenListener listener, BooleanSupplier cancelled) {
            this.promptIds = promptIds;
            this.settings = settings;
            this.listener = listener;
            this.cancelled = cancelled;
        }
    }

    private final Semaphore admission;
    private final BlockingQueue<TextGenerator> generators;
    private final ThreadPoolExecutor workers;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();
    private final ServerMetrics metrics;
    private volatile boolean closing;

    /**
     * One generator per slot: {@code generators.size()} requests decode at once. Every job's queue time,
     * token timings and outcome go to {@code metrics}.
     */
    DecodeSlots(List<? extends TextGenerator> generators, int queue, ServerMetrics metrics) {
        this.metrics = metrics;
        int parallel = generators.size();
        this.admission = new Semaphore(parallel + queue);
        this.generators = new ArrayBlockingQueue<>(parallel, false, generators);
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(parallel, parallel, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "rsd-decode-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        workers.prestartAllCoreThreads();
    }

    /**
     * Takes a place (decoding or queued) or returns false at once when parallel + queue requests already
     * hold one. A caller that gets true must call {@link #execute} exactly once.
     */
    boolean tryAdmit() {
        return !closing && admission.tryAcquire();
    }

    /** Queues an admitted job for the next free decoding thread. */
    void execute(Job job) {
        queued.incrementAndGet();
        try {
            workers.execute(() -> run(job));
        } catch (RuntimeException e) { // rejected: the pool is shutting down
            queued.decrementAndGet();
            admission.release();
            metrics.abandoned();
            job.result.complete(null);
        }
    }

    private void run(Job job) {
        queued.decrementAndGet();
        try {
            if (closing || job.cancelled.getAsBoolean()) {
                metrics.abandoned();
                job.result.complete(null);
                return;
            }
            active.incrementAndGet();
            TextGenerator generator = generators.poll();
            try {
                BooleanSupplier cancel = () -> closing || job.cancelled.getAsBoolean();
                TokenListener listener = metrics.started(job.clock, job.listener);
                GenerationResult result = generator.generate(job.promptIds, job.settings, listener, cancel);
                // Before the handler sees the result: a scrape after the response finds it counted.
                metrics.finished(job.clock, result);
                job.result.complete(result);
            } finally {
                generators.add(generator);
                active.decrementAndGet();
            }
        } catch (Throwable t) {
            job.result.completeExceptionally(t);
        } finally {
            admission.release();
        }
    }

    int queued() {
        return queued.get();
    }

    int active() {
        return active.get();
    }

    /** Cancels running generations, drops queued ones, waits (bounded) for the workers to end, closes the generators. */
    @Override
    public void close() {
        closing = true;
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        // Generators may own KV caches (off-heap or large arrays): release the idle ones.
        for (TextGenerator g; (g = generators.poll()) != null; ) {
            if (g instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    // Closing at shutdown: nothing useful to do with a failure.
                }
            }
        }
    }
}
