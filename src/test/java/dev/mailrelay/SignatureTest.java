package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import static io.restassured.RestAssured.given;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.standardwebhooks.Webhook;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Signatures the relay must accept: rotation, several signatures, the reference library's. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class SignatureTest {

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    @Test
    void acceptsTheSecretBeingRotatedOut() {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        Relay.post(body, SmtpServerResource.OLD_SECRET, Instant.now().getEpochSecond()).statusCode(200);
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void acceptsATimestampInsideTheWindow() {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        Relay.post(body, SmtpServerResource.SECRET, Instant.now().getEpochSecond() - 290).statusCode(200);
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void acceptsWhenOneOfSeveralSignaturesMatches() {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();
        String id = Relay.uniqueId();
        String stale = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        given().contentType("application/json").header("webhook-id", id).header("webhook-timestamp", now)
                .header("webhook-signature", stale + " " + Relay.sign(SmtpServerResource.SECRET, id, now, body))
                .body(body).when().post(Relay.PATH).then().statusCode(200).body("status", equalTo("sent"));
    }

    @Test
    void acceptsWhatTheStandardWebhooksReferenceLibrarySigns() throws Exception {
        String body = Relay.json(Relay.notification());
        long now = Instant.now().getEpochSecond();
        String id = "msg_reference";
        String signature = new Webhook(SmtpServerResource.SECRET).sign(id, now, body);
        given().contentType("application/json").header("webhook-id", id).header("webhook-timestamp", now)
                .header("webhook-signature", signature).body(body.getBytes(StandardCharsets.UTF_8))
                .when().post(Relay.PATH).then().statusCode(200);
        assertThat(smtp.received()).hasSize(1);
    }
}
