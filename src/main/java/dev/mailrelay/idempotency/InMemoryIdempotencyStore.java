package dev.mailrelay.idempotency;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default store: a bounded, expiring map. It protects one instance only (one Lambda execution
 * environment); set RELAY_IDEMPOTENCY_TABLE for a store shared by all of them.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

    private record Entry(State state, String messageId, Instant expiresAt) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Duration ttl;
    private final int maxEntries;
    private final Clock clock;

    public InMemoryIdempotencyStore(Duration ttl, int maxEntries, Clock clock) {
        this.ttl = ttl;
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    @Override
    public Claim claim(String id, Instant leaseUntil) {
        Instant now = clock.instant();
        Claim[] result = new Claim[1];
        entries.compute(id, (key, old) -> {
            if (old == null || old.expiresAt().isBefore(now)) {
                result[0] = Claim.CLAIMED;
                return new Entry(State.IN_FLIGHT, null, leaseUntil);
            }
            result[0] = old.state() == State.DELIVERED ? new Claim(State.DELIVERED, old.messageId()) : Claim.IN_FLIGHT;
            return old;
        });
        if (entries.size() > maxEntries) {
            evict(now);
        }
        return result[0];
    }

    @Override
    public void delivered(String id, String messageId) {
        entries.put(id, new Entry(State.DELIVERED, messageId, clock.instant().plus(ttl)));
    }

    @Override
    public void release(String id) {
        entries.computeIfPresent(id, (key, old) -> old.state() == State.IN_FLIGHT ? null : old);
    }

    /** Drops expired entries, then, if still full, the delivered ones that expire first; live leases go last. */
    private void evict(Instant now) {
        entries.values().removeIf(e -> e.expiresAt().isBefore(now));
        int excess = entries.size() - maxEntries;
        if (excess > 0) {
            entries.entrySet().stream()
                    .sorted(Comparator.comparing((Map.Entry<String, Entry> e) -> e.getValue().state() == State.IN_FLIGHT)
                            .thenComparing(e -> e.getValue().expiresAt()))
                    .limit(excess)
                    .map(Map.Entry::getKey)
                    .toList()
                    .forEach(entries::remove);
        }
    }
}
