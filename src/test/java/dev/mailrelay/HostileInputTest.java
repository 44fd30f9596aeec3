package dev.mailrelay;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * Generated hostile bodies, correctly signed so they reach the parser: each must get a 4xx
 * problem or a correct delivery; never a 500, never a message that is not exactly what was asked.
 */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class HostileInputTest {

    private static final String[] FIELDS = { "to", "from", "subject", "html", "text", "locale", "message_type", "tenant",
            "client_id", "correlation_id" };
    private static final String[] INJECTIONS = { "\r\nBcc: eve@example.net", "\nX-Injected: 1", "\rX-Injected: 1",
            "\u0000", "\r\n\r\n<html>body</html>", "%0d%0aBcc: eve@example.net", "\u2028X-Injected: 1", "\u0085" };
    private static final Object[] WRONG_TYPES = { 42, 4.2, true, List.of("a@example.org"), Map.of("x", 1), null, "" };

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    private record Case(String what, byte[] body) {
    }

    private static byte[] json(Map<String, Object> body) {
        return Relay.json(body).getBytes(StandardCharsets.UTF_8);
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (String field : FIELDS) {
            for (String injection : INJECTIONS) {
                Map<String, Object> n = Relay.notification();
                n.put(field, n.get(field) + injection);
                cases.add(new Case(field + " + " + injection.replace("\r", "\\r").replace("\n", "\\n"), json(n)));
            }
            for (Object wrong : WRONG_TYPES) {
                Map<String, Object> n = Relay.notification();
                n.put(field, wrong);
                cases.add(new Case(field + " = " + wrong, json(n)));
            }
            Map<String, Object> missing = Relay.notification();
            missing.remove(field);
            cases.add(new Case("no " + field, json(missing)));
        }
        for (String to : List.of("jane@bücher.example", "\"jane doe\"@example.org", "\"a@b\"@example.org", "jäne@example.org",
                "jane@[127.0.0.1]", "jane@localhost", "x@" + "a".repeat(64) + ".example", "a".repeat(65) + "@example.org",
                "jane@example.org.", "<jane@example.org>", "jane@example.org\u0000")) {
            Map<String, Object> n = Relay.notification();
            n.put("to", to);
            cases.add(new Case("to = " + to, json(n)));
        }
        Map<String, Object> longSubject = Relay.notification();
        longSubject.put("subject", "x".repeat(10_000));
        cases.add(new Case("10 000-character subject", json(longSubject)));
        String deep = "[".repeat(5000) + "]".repeat(5000);
        cases.add(new Case("5000-deep array", deep.getBytes(StandardCharsets.UTF_8)));
        cases.add(new Case("5000-deep object", ("{\"a\":".repeat(5000) + "1" + "}".repeat(5000)).getBytes(StandardCharsets.UTF_8)));
        cases.add(new Case("huge body", ("{\"to\":\"" + "a".repeat(400_000) + "\"}").getBytes(StandardCharsets.UTF_8)));
        cases.add(new Case("empty body", new byte[0]));
        cases.add(new Case("null", "null".getBytes(StandardCharsets.UTF_8)));
        cases.add(new Case("trailing garbage", (Relay.json(Relay.notification()) + "{}").getBytes(StandardCharsets.UTF_8)));
        cases.add(new Case("duplicate key", Relay.json(Relay.notification()).replaceFirst("\\{", "{\"to\":\"eve@example.net\",")
                .getBytes(StandardCharsets.UTF_8)));
        Random random = new Random(7);
        for (int i = 0; i < 40; i++) {
            byte[] body = json(Relay.notification());
            for (int flips = 0; flips < 3; flips++) {
                body[random.nextInt(body.length)] = (byte) random.nextInt(256);
            }
            cases.add(new Case("random bytes #" + i, body));
        }
        return cases;
    }

    /** Base64 in a raw Lambda event, so the bytes reach the relay exactly as signed (invalid UTF-8 too). */
    private static Response post(byte[] body) {
        return given().contentType("application/json").body(Relay.apiGatewayEvent(body, Relay.uniqueId(), true))
                .when().post("/_lambda_");
    }

    @Test
    void answersEveryHostileBodyWithAProblemOrACorrectDelivery() throws Exception {
        List<Case> cases = cases();
        int delivered = 0;
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            Response lambda = post(c.body());
            int status = lambda.path("statusCode");
            String body = lambda.path("body");
            String contentType = lambda.path("headers.Content-Type");
            if (status == 200) {
                // A body that differs only in fields outside the webhook-id (from, locale …) is the same notification.
                delivered += body.contains("\"status\":\"sent\"") ? 1 : 0;
            } else if (status < 400 || status >= 500 || !"application/problem+json".equals(contentType)
                    || body.contains("Exception") || body.contains("at dev.")) {
                failures.add(c.what() + " -> " + status + " " + contentType + " " + body);
            }
        }
        io.quarkus.logging.Log.infof("hostile input: %d bodies, %d delivered, %d refused with a 4xx problem", cases.size(),
                delivered, cases.size() - delivered - failures.size());
        assertThat(failures).as("answers that are not a 4xx problem").isEmpty();
        assertThat(smtp.received()).as("one message per sent, none otherwise").hasSize(delivered);
        assertThat(delivered).as("some hostile-looking inputs are legitimate mail").isGreaterThan(0);
        for (TestSmtpServer.Received mail : smtp.received()) {
            MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(mail.data()));
            assertThat(mime.getHeader("Bcc")).isNull();
            assertThat(mime.getHeader("X-Injected")).isNull();
            assertThat(mail.recipients()).hasSize(1);
            // "eve@example.net" may appear inside a Subject as text; it must never start a header of its own.
            assertThat(Collections.list(mime.getAllHeaderLines()))
                    .noneMatch(line -> line.toLowerCase(java.util.Locale.ROOT).matches("(bcc|cc|to|x-injected):.*eve@.*|x-injected:.*"));
            assertThat(mail.recipients()).noneMatch(r -> r.contains("eve@"));
        }
    }
}
