package dev.mailrelay;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

/** Every 4xx row of the status table: a clear problem naming the cause, and nothing sent. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class RejectionTest {

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    @AfterEach
    void nothingWasSent() {
        assertThat(smtp.received()).isEmpty();
        assertThat(smtp.connections()).isZero();
    }

    private static ValidatableResponse problem(ValidatableResponse response, int status, String detail) {
        return response.statusCode(status)
                .contentType("application/problem+json")
                .body("status", equalTo(status))
                .body("retryable", equalTo(false))
                .body("type", containsString("auth0-mail-relay"))
                .body("detail", containsString(detail))
                .body(not(containsString("Exception")));
    }

    @Test
    void refusesABodyThatIsNotJson() {
        problem(Relay.post("not json".getBytes(StandardCharsets.UTF_8)), 400, "not valid JSON");
    }

    @Test
    void refusesInvalidUtf8() {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        body[20] = (byte) 0xC3;
        body[21] = (byte) 0x28;
        // A Lambda HTTP event carries a JSON body as a string: the invalid bytes are replaced on the
        // way in, so the signed bytes no longer match and the request is refused before parsing.
        problem(Relay.post(body), 401, "does not match");
    }

    @Test
    void refusesAJsonArray() {
        problem(Relay.post("[]".getBytes(StandardCharsets.UTF_8)), 400, "must be a JSON object");
    }

    @ParameterizedTest
    @ValueSource(strings = { "to", "from", "subject", "message_type", "tenant" })
    void namesTheMissingField(String field) {
        Map<String, Object> body = Relay.notification();
        body.remove(field);
        problem(Relay.post(body), 400, "field '" + field + "'");
    }

    @Test
    void refusesANotificationWithoutHtmlAndText() {
        Map<String, Object> body = Relay.notification();
        body.remove("html");
        body.put("text", "");
        problem(Relay.post(body), 400, "html or text must be present");
    }

    @Test
    void namesAFieldOfTheWrongType() {
        Map<String, Object> body = Relay.notification();
        body.put("subject", 42);
        problem(Relay.post(body), 400, "field 'subject' has the wrong type");
        body = Relay.notification();
        body.put("to", java.util.List.of("a@example.org", "b@example.org"));
        problem(Relay.post(body), 400, "field 'to' has the wrong type");
    }

    @ParameterizedTest
    @ValueSource(strings = { "jane", "jane@", "@example.org", "jane@example", "a@b@example.org", "jane@exa mple.org",
            "Jane <jane@example.org>", "jane@example.org, eve@example.org", "jäne@example.org" })
    void refusesAnInvalidRecipient(String to) {
        Map<String, Object> body = Relay.notification();
        body.put("to", to);
        problem(Relay.post(body), 400, "field 'to' must be one email address");
    }

    @ParameterizedTest
    @ValueSource(strings = { "to", "from", "subject", "tenant" })
    void refusesCrOrLfInAHeaderField(String field) {
        Map<String, Object> body = Relay.notification();
        body.put(field, body.get(field) + "\r\nBcc: eve@example.net");
        problem(Relay.post(body), 400, "field '" + field + "' must not contain CR, LF or NUL");
    }

    @Test
    void refusesASenderThatIsNotAllowed() {
        Map<String, Object> body = Relay.notification();
        body.put("from", "ceo@example.net");
        problem(Relay.post(body), 403, "not in RELAY_ALLOWED_FROM");
    }

    @Test
    void allowsEveryAddressOfAnAllowedDomain() {
        Map<String, Object> body = Relay.notification();
        body.put("from", "Support <Support@NOTIFY.example.com>");
        body.put("text", null);
        body.put("html", null);
        // Reaches validation only after the From check passed: proves the domain entry matched.
        problem(Relay.post(body), 400, "html or text");
    }

    @Test
    void refusesABodyLargerThanTheLimit() {
        Map<String, Object> body = Relay.notification();
        body.put("html", "x".repeat(300 * 1024));
        problem(Relay.post(body), 413, "the limit is 262144");
    }

    @Test
    void refusesARequestWithoutSignature() {
        ValidatableResponse response = given().contentType("application/json").body(Relay.json(Relay.notification()))
                .when().post(Relay.PATH).then();
        problem(response, 401, "headers are required");
    }

    @Test
    void refusesAWrongSignature() {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        String other = "whsec_" + java.util.Base64.getEncoder().encodeToString("some-other-secret-0123456789abcd".getBytes());
        problem(Relay.post(body, other, Instant.now().getEpochSecond()), 401, "does not match");
    }

    @Test
    void refusesABodyChangedAfterSigning() {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();
        String id = Relay.uniqueId();
        String signature = Relay.sign(SmtpServerResource.SECRET, id, now, body);
        ValidatableResponse response = given().contentType("application/json")
                .header("webhook-id", id).header("webhook-timestamp", now).header("webhook-signature", signature)
                .body(new String(body, StandardCharsets.UTF_8).replace("jane.doe@", "eve@")).when().post(Relay.PATH).then();
        problem(response, 401, "does not match");
    }

    @ParameterizedTest
    @ValueSource(longs = { -301, 301, -3600 })
    void refusesATimestampOutsideFiveMinutes(long offset) {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        problem(Relay.post(body, SmtpServerResource.SECRET, Instant.now().getEpochSecond() + offset), 401, "±5 min");
    }

    @Test
    void answersProblemJsonForAnUnknownPath() {
        given().contentType("application/json").body("{}").when().post("/v1/elsewhere").then()
                .statusCode(404).contentType("application/problem+json").body("status", equalTo(404))
                .body("smtp_code", nullValue());
    }

    @Test
    void answersProblemJsonForAWrongMethod() {
        given().when().get(Relay.PATH).then().statusCode(405).contentType("application/problem+json");
    }
}
