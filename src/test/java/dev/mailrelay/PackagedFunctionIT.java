package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.mailrelay.TestSmtpServer.Kind;
import dev.mailrelay.TestSmtpServer.Stage;

/**
 * The packaged target/function.zip, run by the AWS Lambda Runtime Interface Client as the managed
 * Java runtime runs it, against a real SMTP server: what a user deploys, not the test build.
 */
class PackagedFunctionIT {

    private static final Path LOG = Path.of("target", "packaged-function-it.log");

    private static TestSmtpServer smtp;
    private static LambdaRuntimeStandIn runtime;
    private static PackagedFunction function;
    private static int connectionsDuringInit;

    @BeforeAll
    static void start() throws Exception {
        SmtpServerResource.Certificates certs = SmtpServerResource.certificates();
        smtp = new TestSmtpServer(certs.keyStores(), SmtpServerResource.STORE_PASSWORD, false);
        runtime = new LambdaRuntimeStandIn();
        function = PackagedFunction.start(runtime.address(), Map.of(
                "SMTP_HOST", "localhost",
                "SMTP_PORT", String.valueOf(smtp.port()),
                "SMTP_USERNAME", TestSmtpServer.USERNAME,
                "SMTP_PASSWORD", TestSmtpServer.PASSWORD,
                "SMTP_CA_FILE", certs.ca().toString(),
                "SMTP_COMMAND_TIMEOUT", "20s",
                "RELAY_SECRET", SmtpServerResource.SECRET,
                "RELAY_ALLOWED_FROM", "@mail.example.com",
                // As Lambda sets it for provisioned concurrency: the init primes the request path.
                "AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency"), LOG, List.of());
        long until = System.currentTimeMillis() + 60_000;
        while (runtime.firstPollAtMillis() < 0 && System.currentTimeMillis() < until && function.isAlive()) {
            Thread.sleep(20);
        }
        connectionsDuringInit = smtp.connections();
    }

    @AfterAll
    static void stop() {
        function.close();
        runtime.close();
        smtp.stop();
    }

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    /** An API Gateway v2 / Function URL event carrying one signed notification. */
    static String event(Map<String, Object> notification) {
        return Relay.apiGatewayEvent(Relay.json(notification).getBytes(StandardCharsets.UTF_8), Relay.uniqueId(), true);
    }

    private static JsonNode invoke(Map<String, Object> notification, Duration lambdaTimeout) throws Exception {
        LambdaRuntimeStandIn.Invocation answer = runtime.invoke(event(notification), lambdaTimeout).get(60, TimeUnit.SECONDS);
        assertThat(answer.error()).as("invocation error: %s", answer.response()).isFalse();
        return Relay.JSON.readTree(answer.response());
    }

    @Test
    void deliversEveryAuth0MessageType() throws Exception {
        List<String> types = Relay.AUTH0_MESSAGE_TYPES;
        for (String type : types) {
            Map<String, Object> n = Relay.notification();
            n.put("message_type", type);
            JsonNode response = invoke(n, Duration.ofSeconds(14));
            assertThat(response.get("statusCode").asInt()).as(type).isEqualTo(200);
            assertThat(response.get("body").asText()).contains("\"status\":\"sent\"");
        }
        assertThat(smtp.received()).hasSize(types.size());
    }

    /** The review's attacks on the package itself: a From break-out and a localized subject, to a server refusing bare LF. */
    @Test
    void keepsAHostileFromInOneMailboxAndFoldsWithCrlf() throws Exception {
        Map<String, Object> n = Relay.notification();
        n.put("from", "Ü),evil@evil.test,(x <noreply@mail.example.com>");
        n.put("subject", "メールアドレスを確認してください。確認コードは 123456 です");
        JsonNode response = invoke(n, Duration.ofSeconds(14));
        assertThat(response.get("statusCode").asInt()).as(response.toString()).isEqualTo(200);

        jakarta.mail.internet.MimeMessage mime = new jakarta.mail.internet.MimeMessage(
                jakarta.mail.Session.getInstance(new java.util.Properties()),
                new java.io.ByteArrayInputStream(smtp.received().get(0).data()));
        jakarta.mail.internet.InternetAddress[] from = jakarta.mail.internet.InternetAddress.parseHeader(mime.getHeader("From", ","), true);
        assertThat(from).extracting(jakarta.mail.internet.InternetAddress::getAddress).containsExactly("noreply@mail.example.com");
        assertThat(mime.getSubject()).isEqualTo(n.get("subject"));
    }

    @Test
    void primesTheRequestPathDuringInitWithoutConnectingToTheSmtpServer() throws Exception {
        assertThat(runtime.firstPollAtMillis()).as("init finished").isPositive();
        assertThat(java.nio.file.Files.readString(LOG)).contains("primed the request path in").doesNotContain("priming failed");
        assertThat(connectionsDuringInit).isZero();
    }

    @Test
    void refusesBadInputWithAProblem() throws Exception {
        Map<String, Object> n = Relay.notification();
        n.put("to", "not an address");
        JsonNode response = invoke(n, Duration.ofSeconds(14));
        assertThat(response.get("statusCode").asInt()).isEqualTo(400);
        assertThat(response.at("/headers/Content-Type").asText()).isEqualTo("application/problem+json");
        assertThat(smtp.connections()).isZero();
    }

    @Test
    void answers504BeforeAShortLambdaTimeoutWhenTheServerGoesSilentAfterData() throws Exception {
        smtp.breakAt(Stage.DATA, Kind.SILENCE);
        Duration lambdaTimeout = Duration.ofSeconds(3);
        long invokedAt = System.currentTimeMillis();
        LambdaRuntimeStandIn.Invocation answer = runtime.invoke(event(Relay.notification()), lambdaTimeout).get(60, TimeUnit.SECONDS);
        JsonNode response = Relay.JSON.readTree(answer.response());

        assertThat(response.get("statusCode").asInt()).isEqualTo(504);
        assertThat(answer.answeredAtMillis() - invokedAt).as("answered before the Lambda deadline")
                .isLessThan(lambdaTimeout.toMillis());
        assertThat(function.isAlive()).isTrue();
    }
}
