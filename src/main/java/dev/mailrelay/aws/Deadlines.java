package dev.mailrelay.aws;

import java.time.Duration;
import java.time.Instant;

/**
 * The deadline of the request the current thread serves, so that every AWS call it makes (claim,
 * record, release, secret reads, credential fetch) ends in time for the relay to answer: a hung
 * endpoint costs a retryable answer, never a killed invocation. The endpoints open a scope; a
 * call outside any (start-up) keeps its fixed timeouts.
 */
public final class Deadlines {

    /** Below this no call is started: it could only time out. */
    static final Duration LEAST = Duration.ofMillis(150);

    private static final ThreadLocal<Instant> CURRENT = new ThreadLocal<>();

    /** Closing it restores the thread's previous deadline (none, on a worker thread). */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private Deadlines() {
    }

    /** Bounds the AWS calls of this thread by {@code deadline} until the scope is closed. */
    public static Scope until(Instant deadline) {
        Instant previous = CURRENT.get();
        CURRENT.set(deadline);
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    /** Time left before this thread's deadline, or null when it has none. */
    static Duration left() {
        Instant deadline = CURRENT.get();
        return deadline == null ? null : Duration.between(Instant.now(), deadline);
    }

    /** {@code fixed} milliseconds, or less when the deadline is nearer; at least 1 (0 would mean no timeout). */
    static int bounded(int fixedMillis, Duration left) {
        return left == null ? fixedMillis : (int) Math.max(1, Math.min(fixedMillis, left.toMillis()));
    }
}
