package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.mailrelay.TestSmtpServer.Kind;
import dev.mailrelay.TestSmtpServer.Stage;

/** SMTP_FALLBACK_*: used only when the primary failed before any data went out; never both for one message. */
@QuarkusTest
@TestProfile(BreakerAndFallbackTest.WithFallback.class)
class BreakerAndFallbackTest {

    public static class WithFallback extends OwnSmtpServerProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(smtpServer(Map.of()), smtpServer(Map.of("fallback", "true")));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("relay.breaker.failures", "3", "relay.breaker.delay", "1500ms");
        }
    }

    TestSmtpServer primary;

    @SmtpServerResource.Fallback
    TestSmtpServer fallback;

    @jakarta.inject.Inject
    io.smallrye.faulttolerance.api.CircuitBreakerMaintenance breakers;

    @BeforeEach
    void reset() {
        primary.reset();
        fallback.reset();
        breakers.resetAll();
    }

    @Test
    void deliversThroughTheFallbackWhenThePrimaryFailsBeforeData() {
        primary.failAt(Stage.GREETING, 421, "4.3.2 busy");
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(primary.received()).isEmpty();
        assertThat(fallback.received()).hasSize(1);
    }

    @Test
    void neverHandsAMessageToTheFallbackOnceThePrimaryMayHaveIt() {
        primary.breakAt(Stage.DATA, Kind.CLOSE);
        Relay.post(Relay.notification()).statusCode(504).body("attempts", equalTo(1));
        assertThat(fallback.connections()).isZero();
    }

    @Test
    void neverTriesTheFallbackForAPermanentRejection() {
        primary.failAt(Stage.RCPT, 550, "5.1.1 User unknown");
        Relay.post(Relay.notification()).statusCode(422);
        assertThat(fallback.connections()).isZero();
    }

    @Test
    void opensTheBreakerAfterRepeatedFailuresThenProbesAndCloses() throws InterruptedException {
        primary.failAt(Stage.GREETING, 421, "4.3.2 busy");
        fallback.failAt(Stage.GREETING, 421, "4.3.2 busy too");
        // 3 attempts on each server: both breakers open.
        Relay.post(Relay.notification()).statusCode(503).body("attempts", equalTo(6));
        int primaryConnections = primary.connections();
        int fallbackConnections = fallback.connections();

        // Open: answered at once, without a connection to either server.
        Relay.post(Relay.notification()).statusCode(503).header("Retry-After", "30")
                .body("detail", containsString("pauses it")).body("detail", containsString("Last failure:"))
                .body("attempts", equalTo(0));
        assertThat(primary.connections()).isEqualTo(primaryConnections);
        assertThat(fallback.connections()).isEqualTo(fallbackConnections);

        // After the delay one probe goes through; the server is well again, so the breaker closes.
        primary.reset();
        fallback.reset();
        Thread.sleep(1600);
        Relay.post(Relay.notification()).statusCode(200);
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(primary.received()).hasSize(2);
        assertThat(fallback.received()).isEmpty();
    }

    @Test
    void refusesAddressesTheMailClientCannotCarryWithoutPausingTheServer() {
        for (String to : java.util.List.of("\"p,q\"@example.org", "\"p(q\"@example.org", "\"p<q\"@example.org",
                "\"p>q\"@example.org", "\"p,q\"@example.net")) {
            Map<String, Object> body = Relay.notification();
            body.put("to", to);
            String detail = Relay.post(body).statusCode(400).extract().path("detail");
            assertThat(detail).doesNotContain(to).doesNotContain("p,q");
        }
        Relay.post(Relay.notification()).statusCode(200).body("status", org.hamcrest.Matchers.equalTo("sent"));
        assertThat(primary.received()).hasSize(1);
    }
}
