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
    void reset() throws InterruptedException {
        smtp.reset();
        // The function (another process) sees the closed connections before the test's first mail;
        // a close racing a reuse has its own test (DeliveryTest) and costs SMTP_COMMAND_TIMEOUT.
        Thread.sleep(200);
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

    /**
     * Issue 11's check, on the package: localized subjects and display names, a 990-character
     * subject, a 70-character recipient and CRLF bodies reach a server that refuses bare LF and
     * parses every message; EHLO names the sending domain.
     */
    @Test
    void deliversLocalizedMailThatAStrictServerAndAParserAccept() throws Exception {
        String[][] cases = { { "確認コードを送信", "アクメ サポートチーム" }, { "请验证您的电子邮件地址", "Acme 团队" },
                { "이메일 주소를 확인해 주세요 지금", "Acme 팀" }, { "Подтвердите адрес электронной почты", "Команда Acme" },
                { "Bestätigen Sie Ihre E-Mail-Adresse, um die Registrierung abzuschließen", "Kundenservice Größe" },
                { "Vérifiez votre adresse e-mail pour activer votre compte Acme dès aujourd'hui", "Équipe Acme" },
                { "y".repeat(990), "Acme" } };
        String to = "r".repeat(58) + "@example.org"; // 70 characters
        for (String[] c : cases) {
            Map<String, Object> n = Relay.notification();
            n.put("subject", c[0]);
            n.put("from", c[1] + " <noreply@mail.example.com>");
            n.put("to", to);
            n.put("text", "Code:\r\n123456\r\n");
            JsonNode response = invoke(n, Duration.ofSeconds(14));
            assertThat(response.get("statusCode").asInt()).as(response.toString()).isEqualTo(200);
        }
        assertThat(smtp.received()).hasSize(cases.length);
        for (int i = 0; i < cases.length; i++) {
            jakarta.mail.internet.MimeMessage mime = new jakarta.mail.internet.MimeMessage(
                    jakarta.mail.Session.getInstance(new java.util.Properties()),
                    new java.io.ByteArrayInputStream(smtp.received().get(i).data()));
            assertThat(mime.getSubject()).isEqualTo(cases[i][0]);
            jakarta.mail.internet.InternetAddress from = (jakarta.mail.internet.InternetAddress) mime.getFrom()[0];
            assertThat(from.getPersonal()).isEqualTo(cases[i][1]);
            assertThat(from.getAddress()).isEqualTo("noreply@mail.example.com");
            assertThat(((jakarta.mail.internet.InternetAddress) mime.getRecipients(jakarta.mail.Message.RecipientType.TO)[0])
                    .getAddress()).isEqualTo(to);
        }
        assertThat(smtp.heloNames()).containsOnly("mail.example.com");
    }

    @Test
    void reusesTheConnectionAfterANineSecondGap() throws Exception {
        assertThat(invoke(Relay.notification(), Duration.ofSeconds(14)).get("statusCode").asInt()).isEqualTo(200);
        Thread.sleep(9_000); // within the default SMTP_KEEP_ALIVE of 15 s, and longer than the command timeout
        assertThat(invoke(Relay.notification(), Duration.ofSeconds(14)).get("statusCode").asInt()).isEqualTo(200);
        assertThat(smtp.connections()).isEqualTo(1);
        assertThat(smtp.logins()).isEqualTo(1);
    }

    @Test
    void signsInOnceAndAnswers502WhenThePasswordIsWrong() throws Exception {
        smtp.changePassword("not-the-relays-password");
        JsonNode response = invoke(Relay.notification(), Duration.ofSeconds(14));
        assertThat(response.get("statusCode").asInt()).isEqualTo(502);
        assertThat(smtp.logins()).isEqualTo(1);
        assertThat(smtp.dataCommands()).isZero();
    }

    /** Issue 13: every answer, refused ones included, writes one EMF line with one metric, and nothing personal. */
    @Test
    void writesOneMetricLinePerAnswerWhateverTheStatus() throws Exception {
        long linesBefore = metricLines().size();
        Map<String, Object> ok = Relay.notification();
        Map<String, Object> foreign = Relay.notification();
        foreign.put("from", "someone@elsewhere.example");
        Map<String, Object> big = Relay.notification();
        big.put("html", "x".repeat(300 * 1024));
        List<String> events = List.of(event(ok), Relay.apiGatewayEvent("{oops".getBytes(StandardCharsets.UTF_8), Relay.uniqueId(), true),
                event(Relay.notification()).replace("\"v1,", "\"v1,AAAA"), event(foreign), event(big));
        for (String e : events) {
            runtime.invoke(e, Duration.ofSeconds(14)).get(60, TimeUnit.SECONDS);
        }
        smtp.failAt(Stage.RCPT, 550, "5.1.1 user unknown");
        invoke(Relay.notification(), Duration.ofSeconds(14));

        List<JsonNode> lines = metricLines().subList((int) linesBefore, metricLines().size());
        assertThat(lines).extracting(l -> l.get("status").asInt()).containsExactly(200, 400, 401, 403, 413, 422);
        assertThat(lines).extracting(l -> l.at("/_aws/CloudWatchMetrics/0/Metrics/0/Name").asText())
                .containsExactly("Sent", "Dropped", "SignatureFailures", "Dropped", "Dropped", "Dropped");
        assertThat(lines.toString()).doesNotContain((String) ok.get("to")).doesNotContain("someone@");
    }

    private static List<JsonNode> metricLines() throws Exception {
        List<JsonNode> lines = new java.util.ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(LOG)) {
            if (line.startsWith("{\"_aws\"")) {
                lines.add(Relay.JSON.readTree(line));
            }
        }
        return lines;
    }

    /** The package budget (docs/performance.md), enforced: a trim or a new dependency shows here first. */
    @Test
    void staysWithinThe20MegabytePackageBudget() throws Exception {
        assertThat(java.nio.file.Files.size(Path.of("target", "function.zip"))).isLessThanOrEqualTo(20_000_000L);
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
