package dev.mailrelay;

import static io.restassured.RestAssured.given;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.restassured.response.ValidatableResponse;

/** Builds wire bodies from the shared Auth0 event fixture and posts them signed, as the Action does. */
final class Relay {

    static final String PATH = "/v1/notifications/email";

    /** Every message_type Auth0 sends today (SPEC §1). */
    static final java.util.List<String> AUTH0_MESSAGE_TYPES = java.util.List.of("verify_email", "verify_email_by_code",
            "reset_email", "reset_email_by_code", "welcome_email", "verification_code", "mfa_oob_code", "enrollment_email",
            "blocked_account", "stolen_credentials", "try_provider_configuration_email", "organization_invitation");
    static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

    private Relay() {
    }

    static JsonNode auth0Event() {
        try {
            return JSON.readTree(Files.readString(Path.of("src/test/resources/auth0-event.json")));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The SPEC §2 body for the fixture event, as a mutable map a test can spoil. */
    static Map<String, Object> notification() {
        JsonNode event = auth0Event();
        JsonNode n = event.get("notification");
        Map<String, Object> body = new LinkedHashMap<>();
        for (String field : new String[] { "to", "from", "subject", "html", "text", "locale", "message_type" }) {
            body.put(field, n.get(field).asText());
        }
        // The relay keys its records by content (WebhookIds): each body is its own notification unless a test repeats it.
        body.put("html", n.get("html").asText().replace("</body>", "<!-- " + SEQUENCE.incrementAndGet() + " --></body>"));
        body.put("tenant", event.at("/tenant/id").asText());
        body.put("client_id", event.at("/client/client_id").asText());
        body.put("correlation_id", event.at("/transaction/correlation_id").asText());
        return body;
    }

    /** Shaped like Auth0's stock templates: table layout, a line per row, longer than a quoted-printable line, some non-ASCII. */
    static String templateHtml(int rows) {
        StringBuilder html = new StringBuilder("<html>\n<body style=\"margin:0;padding:0\">\n<table width=\"100%\">\n");
        for (int i = 0; i < rows; i++) {
            html.append("  <tr><td style=\"font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#333333;padding:4px 24px\">")
                    .append("Row ").append(i).append(": please verify your email address – ¡gracias!</td></tr>\n");
        }
        return html.append("</table>\n</body>\n</html>").toString();
    }

    static String json(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The keyed id the Action sends and the relay derives (WebhookIds), under the test profile's first secret. */
    static String idFor(byte[] body) {
        try {
            Notification n = JSON.copy().disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(body, Notification.class);
            return WebhookIds.id(WebhookIds.idKey(SignatureVerifier.key(SmtpServerResource.SECRET)), WebhookIds.input(n));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static ValidatableResponse post(Map<String, Object> body) {
        return post(json(body).getBytes(StandardCharsets.UTF_8));
    }

    static ValidatableResponse post(byte[] body) {
        return post(body, SmtpServerResource.SECRET, Instant.now().getEpochSecond());
    }

    /** Each call gets its own webhook-id, so tests never meet another test's idempotency record. */
    static ValidatableResponse post(byte[] body, String secret, long timestamp) {
        return post(body, secret, timestamp, uniqueId());
    }

    static String uniqueId() {
        return "msg_test_" + java.util.UUID.randomUUID();
    }

    static ValidatableResponse post(byte[] body, String secret, long timestamp, String id) {
        return given().contentType("application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", String.valueOf(timestamp))
                .header("webhook-signature", sign(secret, id, timestamp, body))
                .body(body)
                .when().post(PATH)
                .then().log().ifValidationFails();
    }

    /**
     * An API Gateway v2 (Function URL) event carrying the body, signed, as AWS hands it to the
     * function; base64 keeps every byte as signed (invalid UTF-8 included).
     */
    static String apiGatewayEvent(byte[] body, String id, boolean base64) {
        long now = Instant.now().getEpochSecond();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("version", "2.0");
        event.put("routeKey", "$default");
        event.put("rawPath", PATH);
        event.put("rawQueryString", "");
        event.put("headers", Map.of("content-type", "application/json", "webhook-id", id,
                "webhook-timestamp", String.valueOf(now), "webhook-signature", sign(SmtpServerResource.SECRET, id, now, body)));
        event.put("requestContext", Map.of("http", Map.of("method", "POST", "path", PATH, "protocol", "HTTP/1.1",
                "sourceIp", "203.0.113.7", "userAgent", "Auth0"), "requestId", id, "routeKey", "$default", "stage", "$default",
                "timeEpoch", now * 1000));
        event.put("body", base64 ? Base64.getEncoder().encodeToString(body) : new String(body, StandardCharsets.UTF_8));
        event.put("isBase64Encoded", base64);
        return json(event);
    }

    static String sign(String secret, String id, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
