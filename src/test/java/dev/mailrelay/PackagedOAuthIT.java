package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 12's check on what a user deploys: target/function.zip under the Lambda Runtime Interface
 * Client with SMTP_AUTH=microsoft, an Entra-shaped token endpoint (WireMock) and an SMTP server
 * that accepts only AUTH XOAUTH2.
 */
class PackagedOAuthIT {

    private static final Path LOG = Path.of("target", "packaged-oauth-it.log");

    private static TestSmtpServer smtp;
    private static TokenEndpointStandIn tokens;
    private static LambdaRuntimeStandIn runtime;
    private static PackagedFunction function;

    @BeforeAll
    static void start() throws Exception {
        SmtpServerResource.Certificates certs = SmtpServerResource.certificates();
        smtp = new TestSmtpServer(certs.keyStores(), SmtpServerResource.STORE_PASSWORD, false);
        smtp.signInWithTokens("XOAUTH2_MICROSOFT", Set.of());
        tokens = new TokenEndpointStandIn();
        tokens.init(Map.of("provider", "microsoft"));
        Map<String, String> env = new HashMap<>(Map.of(
                "SMTP_HOST", "localhost",
                "SMTP_PORT", String.valueOf(smtp.port()),
                "SMTP_USERNAME", TestSmtpServer.USERNAME,
                "SMTP_CA_FILE", certs.ca().toString(),
                "RELAY_SECRET", SmtpServerResource.SECRET,
                "RELAY_ALLOWED_FROM", "@mail.example.com"));
        // smtp.oauth.client-secret -> SMTP_OAUTH_CLIENT_SECRET, as Lambda's environment would carry them
        tokens.start().forEach((key, value) -> env.put(key.replace('.', '_').replace('-', '_').toUpperCase(), value));
        runtime = new LambdaRuntimeStandIn();
        function = PackagedFunction.start(runtime.address(), env, LOG, List.of());
    }

    @AfterAll
    static void stop() {
        function.close();
        runtime.close();
        smtp.stop();
        tokens.stop();
    }

    @BeforeEach
    void reset() throws InterruptedException {
        smtp.reset();
        tokens.forget();
        Thread.sleep(200); // as in PackagedFunctionIT: the function sees the closed connections first
    }

    private static JsonNode invoke(Map<String, Object> notification, Duration lambdaTimeout) throws Exception {
        String event = Relay.apiGatewayEvent(Relay.json(notification).getBytes(StandardCharsets.UTF_8), Relay.uniqueId(), true);
        LambdaRuntimeStandIn.Invocation answer = runtime.invoke(event, lambdaTimeout).get(60, TimeUnit.SECONDS);
        assertThat(answer.error()).as("invocation error: %s", answer.response()).isFalse();
        return Relay.JSON.readTree(answer.response());
    }

    @Test
    void deliversEveryMessageTypeWithOneTokenThenReplacesARevokedOneOnce() throws Exception {
        tokens.issues("packaged-token-one", "packaged-token-two");
        smtp.acceptTokens(Set.of("packaged-token-one"));
        for (String type : Relay.AUTH0_MESSAGE_TYPES) {
            Map<String, Object> n = Relay.notification();
            n.put("message_type", type);
            assertThat(invoke(n, Duration.ofSeconds(14)).get("statusCode").asInt()).as(type).isEqualTo(200);
        }
        assertThat(tokens.calls()).isEqualTo(1);

        smtp.acceptTokens(Set.of("packaged-token-two")); // the first token is revoked
        smtp.closeOpenConnections(); // so the next mail signs in again
        Thread.sleep(200); // the function sees the close first (a close racing a reuse has its own test)
        assertThat(invoke(Relay.notification(), Duration.ofSeconds(14)).get("statusCode").asInt()).isEqualTo(200);
        assertThat(tokens.calls()).isEqualTo(2);
        assertThat(smtp.received()).hasSize(Relay.AUTH0_MESSAGE_TYPES.size() + 1);
    }

    @Test
    void answersWithTheProvidersWordsWhenTheSecretIsWrong() throws Exception {
        tokens.refuses(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
        JsonNode response = invoke(Relay.notification(), Duration.ofSeconds(14));
        assertThat(response.get("statusCode").asInt()).isEqualTo(502);
        assertThat(response.get("body").asText()).contains("invalid_client: AADSTS7000215: Invalid client secret provided.");
    }

    @Test
    void answersRetryableBeforeAShortLambdaTimeoutWhenTheTokenEndpointIsSilent() throws Exception {
        tokens.staysSilentFor(Duration.ofSeconds(20));
        Duration lambdaTimeout = Duration.ofSeconds(4);
        long invokedAt = System.currentTimeMillis();
        LambdaRuntimeStandIn.Invocation answer = runtime.invoke(PackagedFunctionIT.event(Relay.notification()), lambdaTimeout)
                .get(60, TimeUnit.SECONDS);
        JsonNode response = Relay.JSON.readTree(answer.response());
        assertThat(response.get("statusCode").asInt()).isEqualTo(503);
        assertThat(answer.answeredAtMillis() - invokedAt).as("answered before the Lambda deadline").isLessThan(lambdaTimeout.toMillis());
    }

    @Test
    void logsNoSecretOrToken() throws Exception {
        tokens.issues("packaged-token-three");
        smtp.acceptTokens(Set.of("packaged-token-three"));
        assertThat(invoke(Relay.notification(), Duration.ofSeconds(14)).get("statusCode").asInt()).isEqualTo(200);
        assertThat(Files.readString(LOG)).doesNotContain(TokenEndpointStandIn.CLIENT_SECRET).doesNotContain("packaged-token")
                .contains("fetched an OAuth access token");
    }
}
