package dev.mailrelay.idempotency;

import java.time.Instant;

/**
 * Remembers webhook-ids, so that each notification is delivered at most once while its record
 * lives (SPEC §4): an id is claimed (in flight, leased until the invocation's deadline), then
 * either marked delivered (kept for the TTL) or released (after any failure, including an
 * uncertain one, so that Auth0's retry may send it).
 */
public interface IdempotencyStore {

    /** What a claim found. */
    enum State {
        /** The id was free (or its lease had run out): this invocation owns it now. */
        CLAIMED,
        /** Another invocation holds a live lease on the id. */
        IN_FLIGHT,
        /** The id was delivered; {@link Claim#messageId()} names the message. */
        DELIVERED
    }

    /** The outcome of {@link #claim}; {@code messageId} is set for {@link State#DELIVERED} only. */
    record Claim(State state, String messageId) {
        public static final Claim CLAIMED = new Claim(State.CLAIMED, null);
        public static final Claim IN_FLIGHT = new Claim(State.IN_FLIGHT, null);
    }

    /** Claims the id for one invocation, until {@code leaseUntil}. */
    Claim claim(String id, Instant leaseUntil);

    /** Marks a claimed id delivered; it is remembered for the configured TTL. */
    void delivered(String id, String messageId);

    /** Gives a claimed id up, so that a retry may claim it again. */
    void release(String id);

    /**
     * After a SnapStart restore, off the request path: opens what the first claim needs (credentials,
     * the TLS connection) with a read that changes nothing. May throw; the first claim then does it.
     */
    default void warmUp() {
    }
}
