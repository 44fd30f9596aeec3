package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** RELAY_SECRET_ARN and SMTP_PASSWORD_SECRET_ARN, with WireMock standing in for Secrets Manager. */
@QuarkusTest
@TestProfile(SecretsManagerTest.ByArn.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretsManagerTest {

    public static class ByArn extends OwnSmtpServerProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(smtpServer(Map.of("secrets-by-arn", "true")),
                    new TestResourceEntry(SecretsManagerStandIn.class, Map.of(), true));
        }
    }

    static final String NEW_SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString("test-secret-rotated-in-0123456789".getBytes());

    TestSmtpServer smtp;
    SecretsManagerStandIn secretsManager;

    @BeforeEach
    void reset() {
        smtp.reset();
        secretsManager.forgetRequests();
    }

    @Inject
    NotificationResource resource;
    @Inject
    dev.mailrelay.smtp.SmtpSender sender;
    @Inject
    com.fasterxml.jackson.databind.ObjectMapper mapper;

    @Test
    @Order(0)
    void primingTheRequestPathReadsNoSecretAndOpensNoConnection() throws Exception {
        Primer.prime(resource, sender, mapper);
        assertThat(secretsManager.reads(SecretsManagerStandIn.RELAY_SECRET_ARN)).isZero();
        assertThat(secretsManager.reads(SecretsManagerStandIn.SMTP_PASSWORD_ARN)).isZero();
        assertThat(smtp.connections()).isZero();
    }

    @Test
    @Order(1)
    void answers503WithoutSendingWhenTheSecretCannotBeRead() {
        secretsManager.fails(SecretsManagerStandIn.RELAY_SECRET_ARN);
        Relay.post(Relay.notification()).statusCode(503).contentType("application/problem+json")
                .body("retryable", equalTo(true)).body("detail", containsString("Secrets Manager"));
        assertThat(smtp.connections()).isZero();
    }

    @Test
    @Order(2)
    void deliversWithBothSecretsFromSecretsManagerAndCachesThem() {
        secretsManager.holds(SecretsManagerStandIn.RELAY_SECRET_ARN, SmtpServerResource.SECRET);
        secretsManager.holds(SecretsManagerStandIn.SMTP_PASSWORD_ARN, TestSmtpServer.PASSWORD);
        for (int i = 0; i < 3; i++) {
            Relay.post(Relay.notification()).statusCode(200);
        }
        assertThat(smtp.received()).hasSize(3);
        assertThat(secretsManager.reads(SecretsManagerStandIn.RELAY_SECRET_ARN)).isEqualTo(1);
        assertThat(secretsManager.reads(SecretsManagerStandIn.SMTP_PASSWORD_ARN)).isEqualTo(1);
    }

    @Test
    @Order(3)
    void acceptsOldAndNewSigningSecretsDuringARotation() {
        secretsManager.holds(SecretsManagerStandIn.RELAY_SECRET_ARN, NEW_SECRET + "," + SmtpServerResource.SECRET);
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();
        Relay.post(body, NEW_SECRET, now).statusCode(200); // not in the cache yet: one fresh read
        // The old one still works, and the same notification signed with it is the same notification.
        Relay.post(body, SmtpServerResource.SECRET, now).statusCode(200).body("status", org.hamcrest.Matchers.equalTo("duplicate"));
        Relay.post(Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8), SmtpServerResource.SECRET, now).statusCode(200);
        assertThat(secretsManager.reads(SecretsManagerStandIn.RELAY_SECRET_ARN)).isEqualTo(1);
        assertThat(smtp.received()).hasSize(2);
    }

    @Test
    @Order(4)
    void logsInWithTheRotatedPasswordWithoutFailingAMail() {
        smtp.changePassword("rotated-password");
        secretsManager.holds(SecretsManagerStandIn.SMTP_PASSWORD_ARN, "rotated-password");
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(smtp.received()).hasSize(1);
        assertThat(secretsManager.reads(SecretsManagerStandIn.SMTP_PASSWORD_ARN)).isEqualTo(1);
    }

    @Test
    @Order(5)
    void stillAnswers502WhenTheSecretHoldsAWrongPassword() {
        smtp.changePassword("yet-another-password");
        Relay.post(Relay.notification()).statusCode(502).body("smtp_code", equalTo(535));
        assertThat(smtp.received()).isEmpty();
    }
}
