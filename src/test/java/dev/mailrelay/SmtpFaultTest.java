package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

import dev.mailrelay.TestSmtpServer.Stage;

/** Each SMTP fault class, as the server really answers it, maps to its status and smtp_code. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class SmtpFaultTest {

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    private static ValidatableResponse send() {
        return Relay.post(Relay.notification()).contentType("application/problem+json");
    }

    @Test
    void retriesWhenTheServerAnswers421AtGreeting() {
        smtp.failAt(Stage.GREETING, 421, "4.3.2 Service not available, closing channel");
        send().statusCode(503).header("Retry-After", "30")
                .body("retryable", equalTo(true)).body("smtp_code", equalTo(421));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void retriesWhenTheRecipientIsTemporarilyRefused() {
        smtp.failAt(Stage.RCPT, 451, "4.3.0 Mailbox temporarily unavailable");
        send().statusCode(503).body("retryable", equalTo(true))
                .body("smtp_code", equalTo(451)).body("smtp_enhanced_status", equalTo("4.3.0"));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void dropsWhenTheRecipientIsUnknown() {
        smtp.failAt(Stage.RCPT, 550, "5.1.1 <jane.doe@example.org>: user unknown");
        send().statusCode(422).body("retryable", equalTo(false))
                .body("smtp_code", equalTo(550)).body("smtp_enhanced_status", equalTo("5.1.1"))
                .body("detail", containsString("550 5.1.1"));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void dropsWhenTheSenderIsRefused() {
        smtp.failAt(Stage.MAIL, 553, "5.7.1 Sender address rejected");
        send().statusCode(422).body("smtp_code", equalTo(553)).body("smtp_enhanced_status", equalTo("5.7.1"));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void retriesWhenTheServerIsOutOfStorageAfterData() {
        smtp.failAt(Stage.DATA, 452, "4.3.1 Insufficient system storage");
        send().statusCode(503).body("smtp_code", equalTo(452)).body("smtp_enhanced_status", equalTo("4.3.1"));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void dropsWhenTheMessageIsRejectedAfterData() {
        smtp.failAt(Stage.DATA, 554, "5.6.0 Message content rejected");
        send().statusCode(422).body("smtp_code", equalTo(554)).body("smtp_enhanced_status", equalTo("5.6.0"));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void retriesWithBadGatewayWhenAuthenticationFails() {
        smtp.rejectLogin();
        send().statusCode(502).body("retryable", equalTo(true)).body("smtp_code", equalTo(535))
                .body("detail", containsString("SMTP_USERNAME and SMTP_PASSWORD"));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void retriesWhenTheConnectionIsRefused() {
        smtp.refuseConnections();
        send().statusCode(503).body("retryable", equalTo(true)).body("smtp_code", nullValue())
                .body("detail", containsString("cannot connect"));
    }

    @Test
    void retriesWhenTheServerCertificateIsNotTrusted() {
        smtp.present(TestSmtpServer.Certificate.UNTRUSTED);
        send().statusCode(503).body("retryable", equalTo(true)).body("detail", containsString("TLS"));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void retriesWhenTheCertificateIsTrustedButForAnotherHost() {
        smtp.present(TestSmtpServer.Certificate.WRONG_HOST);
        send().statusCode(503).body("retryable", equalTo(true)).body("detail", containsString("TLS"));
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void answersGatewayTimeoutWhenTheServerIsSlowAfterData() {
        smtp.delayAfterData(Duration.ofSeconds(5));
        send().statusCode(504).body("retryable", equalTo(true)).body("detail", containsString("3000 ms"));
    }
}
