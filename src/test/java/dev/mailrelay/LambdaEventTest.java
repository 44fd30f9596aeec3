package dev.mailrelay;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Raw API Gateway v2 (and Function URL) events, as AWS hands them to the function. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class LambdaEventTest {

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void deliversARawApiGatewayV2Event(boolean base64Body) {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();
        String id = Relay.uniqueId();
        Map<String, Object> event = Map.of(
                "version", "2.0",
                "routeKey", "$default",
                "rawPath", Relay.PATH,
                "rawQueryString", "",
                "headers", Map.of(
                        "content-type", "application/json",
                        "webhook-id", id,
                        "webhook-timestamp", String.valueOf(now),
                        "webhook-signature", Relay.sign(SmtpServerResource.SECRET, id, now, body)),
                "requestContext", Map.of(
                        "http", Map.of("method", "POST", "path", Relay.PATH, "protocol", "HTTP/1.1",
                                "sourceIp", "127.0.0.1", "userAgent", "Auth0"),
                        "requestId", "test-request", "routeKey", "$default", "stage", "$default",
                        "timeEpoch", now * 1000),
                "body", base64Body ? Base64.getEncoder().encodeToString(body) : new String(body, StandardCharsets.UTF_8),
                "isBase64Encoded", base64Body);

        given().contentType("application/json").body(Relay.json(event))
                .when().post("/_lambda_")
                .then().statusCode(200)
                .body("statusCode", equalTo(200))
                .body("body", containsString("\"status\":\"sent\""));
        assertThat(smtp.received()).hasSize(1);
    }
}
