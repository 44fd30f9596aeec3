package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Issue 13: a Secrets Manager endpoint that accepts connections and never answers: the secret read ends by the deadline. */
@QuarkusTest
@TestProfile(SilentSecretsTest.Silent.class)
class SilentSecretsTest {

    public static class Silent implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SilentStoreTest.SilentEndpoint.class, Map.of("for", "secrets")));
        }
    }

    TestSmtpServer smtp;

    @Test
    void answersRetryableByTheDeadlineWhenSecretsManagerNeverAnswers() {
        smtp.reset();
        long started = System.nanoTime();
        Relay.post(Relay.notification()).statusCode(503).body("retryable", equalTo(true));
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        // As in SilentStoreTest: the tests' 4 s budget, where the read alone used to wait 3 × (2 s + 3 s).
        assertThat(tookMillis).as("answered by the request's deadline, not after 15 s").isLessThan(8_000);
        assertThat(smtp.connections()).isZero();
    }
}
