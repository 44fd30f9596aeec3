package dev.mailrelay.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.mailrelay.TokenEndpointAccess;

/** The token cache against an Entra-shaped WireMock endpoint, with a clock the test moves. */
class AccessTokensTest {

    private final ObjectMapper json = new ObjectMapper();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-22T10:00:00Z"));
    private final Clock clock = new Clock() {
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        public Instant instant() {
            return now.get();
        }
    };
    private TokenEndpointAccess endpoint;

    @BeforeEach
    void start() {
        endpoint = TokenEndpointAccess.microsoft();
    }

    @AfterEach
    void stop() {
        endpoint.stop();
    }

    private AccessTokens tokens(java.util.function.Function<Boolean, String> secret) {
        return new AccessTokens(new Grant.ClientCredentials(URI.create(endpoint.tokenUrl()), "app", secret, "scope"), json, clock);
    }

    private Instant deadline() {
        return Instant.now().plusSeconds(5); // the calls' bound runs on the real clock
    }

    @Test
    void keepsAValidTokenWhenItsEarlyRenewalFails() {
        endpoint.issues("token-one");
        AccessTokens tokens = tokens(fresh -> "secret");
        assertThat(tokens.token(false, deadline())).isEqualTo("token-one");
        now.set(now.get().plus(Duration.ofMinutes(56))); // inside the 5-minute renewal window, still valid
        endpoint.fails(503);
        assertThat(tokens.token(false, deadline())).isEqualTo("token-one");
        now.set(now.get().plus(Duration.ofMinutes(5))); // expired now
        assertThatThrownBy(() -> tokens.token(false, deadline())).isInstanceOf(TokenFailure.class)
                .extracting(e -> ((TokenFailure) e).kind()).isEqualTo(TokenFailure.Kind.UNAVAILABLE);
    }

    @Test
    void readsARotatedSecretOnceWhenTheEndpointRefusesTheCachedOne() {
        endpoint.acceptsOnlySecret("new-secret", "token-two");
        AtomicReference<String> stored = new AtomicReference<>("new-secret");
        AtomicReference<String> cached = new AtomicReference<>("old-secret");
        AccessTokens tokens = tokens(fresh -> fresh ? cached.updateAndGet(c -> stored.get()) : cached.get());
        assertThat(tokens.token(false, deadline())).isEqualTo("token-two");
        assertThat(endpoint.calls()).isEqualTo(2);
    }

    /** Found by review: a rotated secret that cannot be used on the retry was a 500; it is a refused configuration. */
    @Test
    void refusesWhenTheSecretReadAgainCannotBeUsed() {
        endpoint.refuses(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        AccessTokens tokens = tokens(fresh -> {
            if (fresh) {
                return "rotated";
            }
            if (reads.incrementAndGet() > 2) { // the form after the renewal
                throw new IllegalArgumentException("the client secret is not usable");
            }
            return "old";
        });
        assertThatThrownBy(() -> tokens.token(false, deadline())).isInstanceOf(TokenFailure.class)
                .hasMessageContaining("not usable").extracting(e -> ((TokenFailure) e).kind()).isEqualTo(TokenFailure.Kind.REFUSED);
    }

    @Test
    void endsByTheDeadlineWhenTheEndpointIsSilent() {
        endpoint.staysSilentFor(Duration.ofSeconds(20));
        long started = System.nanoTime();
        assertThatThrownBy(() -> tokens(fresh -> "secret").token(false, Instant.now().plusMillis(1500)))
                .isInstanceOf(TokenFailure.class).hasMessageContaining("did not answer in time");
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(4_000);
    }

    /** Found by review: an http token_uri in the key used to end as the uncertain 504; it is a refused configuration. */
    @Test
    void refusesAServiceAccountKeyWhoseTokenUriIsInTheClear() throws Exception {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String pem = "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder().encodeToString(
                generator.generateKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        ServiceAccountKey key = ServiceAccountKey.parse(json.writeValueAsString(Map.of("client_email", "sa@p.iam.gserviceaccount.com",
                "private_key", pem, "token_uri", "http://oauth2.example.com/token")), json);
        AccessTokens tokens = new AccessTokens(new Grant.JwtBearer(Optional.empty(), () -> key, () -> false, "m@example.com", "s"),
                json, clock);
        assertThatThrownBy(() -> tokens.token(false, deadline())).isInstanceOf(TokenFailure.class)
                .extracting(e -> ((TokenFailure) e).kind()).isEqualTo(TokenFailure.Kind.REFUSED);
    }
}
