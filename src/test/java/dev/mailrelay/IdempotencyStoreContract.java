package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.mailrelay.idempotency.IdempotencyStore;
import dev.mailrelay.idempotency.IdempotencyStore.State;

/** What every store must do, checked on the store itself, with real concurrency. */
abstract class IdempotencyStoreContract {

    abstract IdempotencyStore store();

    static String id() {
        return "msg_" + UUID.randomUUID();
    }

    @Test
    void claimsAFreeIdOnce() {
        String id = id();
        assertThat(store().claim(id, Instant.now().plusSeconds(10)).state()).isEqualTo(State.CLAIMED);
        assertThat(store().claim(id, Instant.now().plusSeconds(10)).state()).isEqualTo(State.IN_FLIGHT);
    }

    @Test
    void remembersTheMessageOfADeliveredId() {
        String id = id();
        store().claim(id, Instant.now().plusSeconds(10));
        store().delivered(id, "<m1@example.com>");
        IdempotencyStore.Claim again = store().claim(id, Instant.now().plusSeconds(10));
        assertThat(again.state()).isEqualTo(State.DELIVERED);
        assertThat(again.messageId()).isEqualTo("<m1@example.com>");
    }

    @Test
    void freesAReleasedId() {
        String id = id();
        store().claim(id, Instant.now().plusSeconds(10));
        store().release(id);
        assertThat(store().claim(id, Instant.now().plusSeconds(10)).state()).isEqualTo(State.CLAIMED);
    }

    @Test
    void neverReleasesADeliveredId() {
        String id = id();
        store().claim(id, Instant.now().plusSeconds(10));
        store().delivered(id, "<m2@example.com>");
        store().release(id);
        assertThat(store().claim(id, Instant.now().plusSeconds(10)).state()).isEqualTo(State.DELIVERED);
    }

    @Test
    void letsAnAbandonedLeaseBeClaimedAgain() throws Exception {
        String id = id();
        store().claim(id, Instant.now().minusSeconds(5)); // the invocation that took it died long ago
        assertThat(store().claim(id, Instant.now().plusSeconds(10)).state()).isEqualTo(State.CLAIMED);
    }

    @Test
    void grantsAnIdToExactlyOneOfManyConcurrentClaims() throws Exception {
        for (int round = 0; round < 5; round++) {
            String id = id();
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<State>> claims = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                claims.add(pool.submit(() -> {
                    start.await();
                    return store().claim(id, Instant.now().plusSeconds(10)).state();
                }));
            }
            start.countDown();
            List<State> states = new ArrayList<>();
            for (Future<State> f : claims) {
                states.add(f.get());
            }
            pool.shutdown();
            assertThat(states).filteredOn(s -> s == State.CLAIMED).hasSize(1);
            assertThat(states).filteredOn(s -> s == State.IN_FLIGHT).hasSize(threads - 1);
        }
    }
}
