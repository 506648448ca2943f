package rsd.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that run one parallel loop at a time: {@link #run} hands out index ranges of
 * [0, n) in chunks from a shared counter (so a thread slowed down by other processes simply takes fewer
 * chunks), the calling thread works too, and the call returns when all ranges are done. Threads live as
 * long as the pool; between loops they spin briefly, then park, because the next loop of a forward pass
 * usually follows within microseconds. One loop at a time: concurrent callers are serialized.
 */
public final class ThreadPool implements AutoCloseable {
    /** The body of a parallel loop: handles indices [from, to); worker is 0..threads-1 (for per-thread scratch). */
    @FunctionalInterface
    public interface Body {
        void run(int from, int to, int worker);
    }

    private static final long SPIN_NANOS = 50_000;

    /** One parallel loop. Immutable apart from its counters, so a worker that wakes late can only see old, finished work. */
    private static final class Job {
        final Body body;
        final int n;
        final int chunk;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(Body body, int n, int chunk, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunk = chunk;
            this.caller = caller;
        }

        void work(int worker) {
            for (int from; (from = next.getAndAdd(chunk)) < n; ) {
                int to = Math.min(n, from + chunk);
                try {
                    if (failure == null) {
                        body.run(from, to, worker);
                    }
                } catch (Throwable t) {
                    failure = t;
                }
                if (done.addAndGet(to - from) == n) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;

    public ThreadPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1: " + threads);
        }
        this.threads = threads;
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int worker = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("rsd-worker-" + worker).start(() -> workLoop(worker));
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs body over [0, n) in chunks of about n / (4 * threads). */
    public void run(int n, Body body) {
        run(n, Math.max(1, (n + 4 * threads - 1) / (4 * threads)), body);
    }

    /**
     * Runs body over [0, n) in chunks of {@code chunk} indices on all threads and returns when every index
     * is done (it does not wait for idle workers to wake up).
     */
    public synchronized void run(int n, int chunk, Body body) {
        if (n <= 0) {
            return;
        }
        if (threads == 1 || n <= chunk) {
            body.run(0, n, 0);
            return;
        }
        if (closed) {
            throw new IllegalStateException("thread pool closed");
        }
        Job j = new Job(body, n, chunk, Thread.currentThread());
        job = j;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        j.work(0);
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (j.done.get() != n) {
            if (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        Throwable t = j.failure;
        if (t != null) {
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new RuntimeException(t);
        }
    }

    private void workLoop(int worker) {
        Job seen = null;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            Job j;
            while ((j = job) == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = j;
            j.work(worker);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
