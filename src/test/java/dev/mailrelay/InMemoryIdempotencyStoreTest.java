package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.mailrelay.idempotency.IdempotencyStore;
import dev.mailrelay.idempotency.IdempotencyStore.State;
import dev.mailrelay.idempotency.InMemoryIdempotencyStore;

class InMemoryIdempotencyStoreTest extends IdempotencyStoreContract {

    private final IdempotencyStore store = new InMemoryIdempotencyStore(Duration.ofHours(1), 1000, Clock.systemUTC());

    @Override
    IdempotencyStore store() {
        return store;
    }

    @Test
    void staysWithinItsBoundDroppingDeliveredRecordsBeforeLiveLeases() {
        IdempotencyStore small = new InMemoryIdempotencyStore(Duration.ofHours(1), 10, Clock.systemUTC());
        String lease = id();
        small.claim(lease, Instant.now().plusSeconds(60));
        for (int i = 0; i < 50; i++) {
            String id = id();
            small.claim(id, Instant.now().plusSeconds(60));
            small.delivered(id, "<m@example.com>");
        }
        assertThat(small.claim(lease, Instant.now().plusSeconds(60)).state()).isEqualTo(State.IN_FLIGHT);
    }

    @Test
    void forgetsADeliveredIdAfterItsTtl() {
        Clock[] now = { Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC) };
        Clock moving = new Clock() {
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            public Instant instant() {
                return now[0].instant();
            }
        };
        IdempotencyStore store = new InMemoryIdempotencyStore(Duration.ofHours(1), 10, moving);
        store.claim("msg_x", moving.instant().plusSeconds(10));
        store.delivered("msg_x", "<x@example.com>");
        now[0] = Clock.offset(now[0], Duration.ofMinutes(59));
        assertThat(store.claim("msg_x", moving.instant().plusSeconds(10)).state()).isEqualTo(State.DELIVERED);
        now[0] = Clock.offset(now[0], Duration.ofMinutes(2));
        assertThat(store.claim("msg_x", moving.instant().plusSeconds(10)).state()).isEqualTo(State.CLAIMED);
    }
}
