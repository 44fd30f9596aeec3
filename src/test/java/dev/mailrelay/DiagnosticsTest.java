package dev.mailrelay;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

import dev.mailrelay.TestSmtpServer.Stage;

/** POST /v1/diagnostics/smtp tells a wrong host, an untrusted certificate and a wrong password apart. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class DiagnosticsTest {

    static final String PATH = "/v1/diagnostics/smtp";

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    static ValidatableResponse diagnose() {
        return post("diag_" + java.util.UUID.randomUUID(), PATH).statusCode(200);
    }

    private static ValidatableResponse post(String id, String path) {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();
        return given().header("webhook-id", id).header("webhook-timestamp", now)
                .header("webhook-signature", Relay.sign(SmtpServerResource.SECRET, id, now, body))
                .body(body).when().post(path).then();
    }

    @Test
    void refusesANotificationsSignatureAndANotificationRefusesItsSignature() {
        post(Relay.uniqueId(), PATH).statusCode(401).body("detail", containsString("diag_"));
        post("diag_" + java.util.UUID.randomUUID(), Relay.PATH).statusCode(401);
        org.assertj.core.api.Assertions.assertThat(smtp.connections()).isZero();
    }

    @Test
    void runsAReplayedRequestOnlyOnce() {
        String id = "diag_" + java.util.UUID.randomUUID();
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();
        String signature = Relay.sign(SmtpServerResource.SECRET, id, now, body);
        for (int expected : new int[] { 200, 409, 409 }) {
            given().header("webhook-id", id).header("webhook-timestamp", now).header("webhook-signature", signature)
                    .body(body).when().post(PATH).then().statusCode(expected);
        }
        org.assertj.core.api.Assertions.assertThat(smtp.connections()).isEqualTo(1);
    }

    @Test
    void walksEveryStageOfAHealthyServer() {
        diagnose().body("ok", equalTo(true))
                .body("stages.stage", contains("dns", "tcp", "greeting", "ehlo", "starttls", "tls", "ehlo", "auth"))
                .body("stages.ok", contains(true, true, true, true, true, true, true, true))
                .body("stages[2].serverSays", containsString("220"))
                .body("stages[5].detail", containsString("host name localhost verified"))
                .body("stages[7].serverSays", containsString("235"));
        org.assertj.core.api.Assertions.assertThat(smtp.received()).isEmpty();
    }

    @Test
    void pointsAtThePasswordWhenTheLoginIsRefused() {
        smtp.rejectLogin();
        diagnose().body("ok", equalTo(false))
                .body("stages[-1].stage", equalTo("auth"))
                .body("stages[-1].serverSays", containsString("535"))
                .body("stages[-1].detail", containsString("SMTP_PASSWORD"))
                .body(not(containsString(TestSmtpServer.PASSWORD)));
    }

    @Test
    void signsInWithLoginWhenTheServerOffersOnlyLogin() {
        smtp.offerOnly("LOGIN");
        diagnose().body("ok", equalTo(true)).body("stages[-1].detail", containsString("AUTH LOGIN"));
    }

    @Test
    void pointsAtTheCertificateWhenItIsNotTrusted() {
        smtp.present(TestSmtpServer.Certificate.UNTRUSTED);
        diagnose().body("ok", equalTo(false)).body("stages[-1].stage", equalTo("tls"))
                .body("stages[-1].detail", containsString("SMTP_CA_FILE"));
    }

    @Test
    void pointsAtTheHostNameWhenTheCertificateNamesAnother() {
        smtp.present(TestSmtpServer.Certificate.WRONG_HOST);
        diagnose().body("ok", equalTo(false)).body("stages[-1].stage", equalTo("tls"))
                .body("stages[-1].detail", containsString("localhost"));
    }

    @Test
    void pointsAtThePortWhenNothingListens() {
        smtp.refuseConnections();
        diagnose().body("ok", equalTo(false)).body("stages[-1].stage", equalTo("tcp"))
                .body("stages[-1].detail", containsString("SMTP_PORT"));
    }

    @Test
    void quotesTheServerWhenItRefusesAtTheGreeting() {
        smtp.failAt(Stage.GREETING, 421, "4.3.2 Too busy, try later");
        diagnose().body("ok", equalTo(false)).body("stages[-1].stage", equalTo("greeting"))
                .body("stages[-1].serverSays", containsString("421 4.3.2 Too busy"));
    }

    @Test
    void refusesAnUnsignedRequest() {
        given().body("{}").when().post(PATH).then().statusCode(401).contentType("application/problem+json");
    }
}
