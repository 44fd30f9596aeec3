package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import dev.mailrelay.TestSmtpServer.Stage;

/** The real Action file under Node (through try-local.js) → this relay → the real SMTP server. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class ActionEndToEndTest {

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    @Test
    void deliversEveryAuth0MessageType() throws Exception {
        List<String> types = Relay.AUTH0_MESSAGE_TYPES;
        for (String type : types) {
            assertThat(runAction(type, "e2e-all-types@example.org")).as(type).isEqualTo(Map.of("outcome", "delivered"));
        }
        assertThat(smtp.received()).hasSize(types.size());
    }

    @Test
    void dropsWhenTheRecipientIsUnknown() throws Exception {
        smtp.failAt(Stage.RCPT, 550, "5.1.1 user unknown");
        Map<String, String> result = runAction("verify_email", "e2e-unknown@example.org");
        assertThat(result).containsEntry("outcome", "drop");
        assertThat(result.get("reason")).startsWith("auth0-mail-relay answered 422: the SMTP server answered 550 5.1.1");
        assertThat(smtp.received()).isEmpty();
    }

    @Test
    void retriesWhenTheServerIsBusy() throws Exception {
        smtp.failAt(Stage.GREETING, 421, "4.3.2 try again later");
        Map<String, String> result = runAction("reset_email", "e2e-busy@example.org");
        assertThat(result).containsEntry("outcome", "retry");
        assertThat(result.get("reason")).startsWith("auth0-mail-relay answered 503: the SMTP server answered 421");
        assertThat(smtp.received()).isEmpty();
    }

    @SuppressWarnings("unchecked")
    @Test
    void printsTheDiagnosticsStageByStage() throws Exception {
        Node run = node("--diagnostics");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("ok   tls", "ok   auth", "server: 235");
    }

    /** Each test its own recipient: the real Action's webhook-ids depend on the content only. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> runAction(String messageType, String to) throws Exception {
        Map<String, String> result = Relay.JSON.readValue(node(messageType, "--to", to, "--json").output(), Map.class);
        result.values().removeIf(v -> v == null);
        return result;
    }

    private record Node(int exitCode, String output) {
    }

    /** try-local.js under Node, pointed at this test relay. */
    private static Node node(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("node", "actions/try-local.js"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("RELAY_URL", "http://localhost:" + RestAssured.port + Relay.PATH);
        pb.environment().put("RELAY_SECRET", SmtpServerResource.SECRET);
        pb.redirectErrorStream(true);
        Process process = pb.start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("node finished").isTrue();
        return new Node(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
    }
}
