package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** With the DynamoDB store unreachable, nothing is sent unclaimed: a retryable 503, and Auth0 retries. */
@QuarkusTest
@TestProfile(StoreOutageTest.Unreachable.class)
class StoreOutageTest {

    public static class Unreachable implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            System.setProperty("aws.accessKeyId", "test");
            System.setProperty("aws.secretAccessKey", "test");
            System.setProperty("aws.region", "eu-west-1");
            return Map.of("relay.idempotency.table", "unreachable", "relay.idempotency.endpoint", "http://127.0.0.1:9");
        }
    }

    TestSmtpServer smtp;

    @Test
    void answersRetryableWithoutSendingWhenTheStoreIsDown() {
        smtp.reset();
        Relay.post(Relay.notification()).statusCode(503).contentType("application/problem+json")
                .body("retryable", equalTo(true)).body("detail", containsString("idempotency store"));
        assertThat(smtp.connections()).isZero();
    }
}
