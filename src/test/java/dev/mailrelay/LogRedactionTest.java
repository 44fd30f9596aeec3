package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.mailrelay.TestSmtpServer.Stage;

/**
 * Everything the relay logs while it delivers, fails and refuses: the code and link inside the
 * mail, the secrets and the recipient's full address must appear nowhere; the JSON line per
 * notification must carry what an operator needs.
 */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class LogRedactionTest {

    private static final String CODE = "739154";
    private static final String TICKET = "tkt-9F8E7D6C5B";
    private static final String RECIPIENT = "jane.doe@example.org";

    TestSmtpServer smtp;

    private LogCapture log;

    @BeforeEach
    void capture() {
        smtp.reset();
        log = LogCapture.start();
    }

    @AfterEach
    void release() {
        log.close();
    }

    private static Map<String, Object> mailWithSecrets() {
        Map<String, Object> n = Relay.notification();
        n.put("to", RECIPIENT);
        n.put("subject", "Your code is " + CODE);
        n.put("text", "Your code: " + CODE + "\nReset: https://example-tenant.us.auth0.com/u/reset?ticket=" + TICKET);
        n.put("html", "<p>Your code: <b>" + CODE + "</b> <a href=\"https://example-tenant.us.auth0.com/u/reset?ticket=" + TICKET
                + "\">reset</a></p><!-- " + Relay.uniqueId() + " -->");
        return n;
    }

    @Test
    void neverLogsStoresOrSendsAPlainHashOfTheContent() throws Exception {
        // What an Action of before the keyed ids sends: msg_ + SHA-256 of the content, code included.
        Map<String, Object> n = mailWithSecrets();
        String[] fields = { "tenant", "message_type", "to", "subject", "html", "text" };
        String json = Relay.JSON.writeValueAsString(java.util.Arrays.stream(fields).map(n::get).toList());
        String plainId = "msg_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                java.security.MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8)));
        byte[] body = Relay.json(n).getBytes(StandardCharsets.UTF_8);
        Relay.post(body, SmtpServerResource.SECRET, java.time.Instant.now().getEpochSecond(), plainId).statusCode(200);

        assertThat(log.lines()).noneMatch(line -> line.contains(plainId.substring(4)));
        String mail = new String(smtp.received().get(0).data(), StandardCharsets.US_ASCII);
        assertThat(mail).doesNotContain(plainId.substring(4)).containsPattern("(?m)^Message-ID: <msg_[A-Za-z0-9_-]{43}@mail\\.example\\.com>\r?$");
    }

    @Test
    void neverLogsTheMailContentSecretsOrFullAddresses() {
        Relay.post(mailWithSecrets()).statusCode(200);
        smtp.failAt(Stage.RCPT, 550, "5.1.1 <" + RECIPIENT + ">: Recipient address rejected");
        Relay.post(mailWithSecrets()).statusCode(422);
        smtp.reset();
        smtp.rejectLogin();
        Relay.post(mailWithSecrets()).statusCode(502);
        smtp.reset();
        Map<String, Object> invalid = mailWithSecrets();
        invalid.put("from", "ceo@example.net");
        Relay.post(invalid).statusCode(403);

        assertThat(log.lines()).isNotEmpty();
        assertThat(log.lines()).noneMatch(line -> line.contains(CODE))
                .noneMatch(line -> line.contains(TICKET))
                .noneMatch(line -> line.contains(RECIPIENT))
                .noneMatch(line -> line.contains(SmtpServerResource.SECRET.substring(6)))
                .noneMatch(line -> line.contains(SmtpServerResource.OLD_SECRET.substring(6)))
                .noneMatch(line -> line.contains(TestSmtpServer.PASSWORD));
    }

    @Test
    void writesOneEmbeddedMetricFormatLinePerNotification() throws Exception {
        Map<String, Object> n = mailWithSecrets();
        n.put("message_type", "try_provider_configuration_email");
        Relay.post(n).statusCode(200);
        smtp.failAt(Stage.RCPT, 550, "5.1.1 <" + RECIPIENT + ">: unknown");
        Relay.post(mailWithSecrets()).statusCode(422);

        List<JsonNode> records = log.lines().stream().filter(l -> l.startsWith("dev.mailrelay.delivery "))
                .map(l -> l.substring("dev.mailrelay.delivery ".length())).map(LogRedactionTest::parse).toList();
        assertThat(records).hasSize(2);

        JsonNode sent = records.get(0);
        assertThat(sent.at("/_aws/CloudWatchMetrics/0/Namespace").asText()).isEqualTo("Auth0MailRelay");
        assertThat(sent.at("/_aws/CloudWatchMetrics/0/Metrics/0/Name").asText()).isEqualTo("Sent");
        assertThat(sent.get("Sent").asInt()).isEqualTo(1);
        assertThat(sent.get("Latency").isNumber()).isTrue();
        assertThat(sent.get("outcome").asText()).isEqualTo("sent");
        assertThat(sent.get("dashboard_test").asBoolean()).isTrue();
        assertThat(sent.get("to_domain").asText()).isEqualTo("example.org");
        assertThat(sent.get("tenant").asText()).isEqualTo("example-tenant");
        assertThat(sent.get("attempts").asInt()).isEqualTo(1);
        assertThat(sent.get("webhook_id").asText()).startsWith("msg_");

        JsonNode dropped = records.get(1);
        assertThat(dropped.get("Dropped").asInt()).isEqualTo(1);
        assertThat(dropped.get("status").asInt()).isEqualTo(422);
        assertThat(dropped.get("smtp_code").asInt()).isEqualTo(550);
        assertThat(dropped.get("smtp_reply").asText()).isEqualTo("550 5.1.1 <***@example.org>: unknown");
    }

    /** Refusals before any delivery work are answers too: each writes its line and counts in a metric (issue 13). */
    @Test
    void writesOneLineWithAReasonAndAMetricForEveryRefusal() throws Exception {
        long now = java.time.Instant.now().getEpochSecond();
        Relay.post("{not json".getBytes(StandardCharsets.UTF_8)).statusCode(400);
        Relay.post(Relay.json(mailWithSecrets()).getBytes(StandardCharsets.UTF_8), SmtpServerResource.SECRET, now - 3600).statusCode(401);
        Map<String, Object> foreign = mailWithSecrets();
        foreign.put("from", "someone@elsewhere.example");
        Relay.post(foreign).statusCode(403);
        Relay.post(new byte[262_145]).statusCode(413);

        List<JsonNode> records = log.lines().stream().filter(l -> l.startsWith("dev.mailrelay.delivery "))
                .map(l -> l.substring("dev.mailrelay.delivery ".length())).map(LogRedactionTest::parse).toList();
        assertThat(records).extracting(r -> r.get("status").asInt()).containsExactly(400, 401, 403, 413);
        assertThat(records).extracting(r -> r.get("reason").asText())
                .containsExactly("invalid-notification", "signature-rejected", "sender-not-allowed", "payload-too-large");
        assertThat(records).extracting(r -> r.get("outcome").asText())
                .containsExactly("dropped", "signature_failure", "dropped", "dropped");
        assertThat(records.get(1).get("SignatureFailures").asInt()).isEqualTo(1);
        assertThat(records.get(0).get("Dropped").asInt()).isEqualTo(1);
        for (JsonNode r : records) {
            assertThat(r.at("/_aws/CloudWatchMetrics/0/Metrics/0/Name").asText()).isIn("Dropped", "SignatureFailures");
            assertThat(r.get("webhook_id_unverified").asText().length()).isLessThanOrEqualTo(13);
        }
        assertThat(records.get(2).get("to_domain").asText()).isEqualTo("example.org");
        assertThat(records.get(2).get("detail").asText()).doesNotContain("someone@").contains("***@elsewhere.example");
        assertThat(records.toString()).doesNotContain(RECIPIENT);
    }

    private static JsonNode parse(String line) {
        try {
            return Relay.JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
