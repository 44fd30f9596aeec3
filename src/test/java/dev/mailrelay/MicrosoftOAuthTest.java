package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * SMTP_AUTH=microsoft: Entra ID client credentials (WireMock, shaped like login.microsoftonline.com)
 * and AUTH XOAUTH2 to a server that accepts nothing else and refuses a bad token as Microsoft 365
 * does, through the Lambda path.
 */
@QuarkusTest
@TestProfile(MicrosoftOAuthTest.Microsoft.class)
class MicrosoftOAuthTest {

    public static class Microsoft extends OwnSmtpServerProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(smtpServer(Map.of("sign-in", "XOAUTH2_MICROSOFT")),
                    new TestResourceEntry(TokenEndpointStandIn.class, Map.of("provider", "microsoft"), true));
        }
    }

    TestSmtpServer smtp;
    TokenEndpointStandIn tokens;

    private LogCapture log;

    @BeforeEach
    void reset() {
        smtp.reset();
        tokens.forget(); // and the relay forgot its token in smtp.reset(): each test starts cold
        log = LogCapture.start();
    }

    @AfterEach
    void release() {
        log.close();
        assertThat(String.join("\n", log.lines())).doesNotContain(TokenEndpointStandIn.CLIENT_SECRET)
                .doesNotContain("token-one").doesNotContain("token-two").doesNotContain("dG9rZW4t");
    }

    @Test
    void deliversEveryMessageTypeWithOneToken() {
        tokens.issues("token-one");
        smtp.acceptTokens(Set.of("token-one"));
        for (String type : Relay.AUTH0_MESSAGE_TYPES) {
            Map<String, Object> n = Relay.notification();
            n.put("message_type", type);
            Relay.post(n).statusCode(200).body("status", equalTo("sent"));
        }
        assertThat(smtp.received()).hasSize(Relay.AUTH0_MESSAGE_TYPES.size());
        assertThat(tokens.calls()).isEqualTo(1);
        assertThat(tokens.forms().get(0)).containsEntry("grant_type", "client_credentials")
                .containsEntry("client_id", TokenEndpointStandIn.CLIENT_ID)
                .containsEntry("client_secret", TokenEndpointStandIn.CLIENT_SECRET)
                .containsEntry("scope", "https://outlook.office365.com/.default");
    }

    @Test
    void replacesARevokedCachedTokenOnceAndDelivers() throws Exception {
        tokens.issues("token-one", "token-two");
        smtp.acceptTokens(Set.of("token-one"));
        Relay.post(Relay.notification()).statusCode(200);
        smtp.acceptTokens(Set.of("token-two")); // token-one is revoked
        smtp.closeOpenConnections(); // so the next mail signs in again
        Thread.sleep(200); // the relay sees the close before the next mail (a close racing a reuse: DeliveryTest)
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(tokens.calls()).isEqualTo(2);
        assertThat(smtp.received()).hasSize(2);
    }

    @Test
    void answers502WithTheServersWordsWhenTheRenewedTokenIsRefusedToo() throws Exception {
        tokens.issues("token-one", "token-two");
        smtp.acceptTokens(Set.of("token-one"));
        Relay.post(Relay.notification()).statusCode(200);
        smtp.acceptTokens(Set.of());
        smtp.closeOpenConnections();
        Thread.sleep(200); // the relay sees the close before the next mail (a close racing a reuse: DeliveryTest)
        Relay.post(Relay.notification()).statusCode(502).contentType("application/problem+json")
                .body("retryable", equalTo(true)).body("smtp_code", equalTo(535))
                .body("detail", containsString("5.7.3")).body("detail", containsString("Authentication unsuccessful"))
                .body("detail", containsString("SMTP permission"));
        assertThat(tokens.calls()).isEqualTo(2);
        // token-one twice at most: once for the first mail, and (when the client of that mail opens
        // the new connection) Vert.x mail retries the mechanism that once succeeded; token-two once.
        assertThat(smtp.logins()).isBetween(3, 4);
    }

    /** A token fetched for this very request and refused is a configuration problem: no second token, no second login. */
    @Test
    void answers502AtOnceWhenAFreshlyFetchedTokenIsRefused() {
        tokens.issues("token-one", "token-two");
        Relay.post(Relay.notification()).statusCode(502).body("smtp_code", equalTo(535));
        assertThat(tokens.calls()).isEqualTo(1);
        assertThat(smtp.logins()).isEqualTo(1);
        assertThat(smtp.received()).isEmpty();
    }

    @jakarta.inject.Inject
    RestoreWarmUp restoreWarmUp;

    /** After a SnapStart restore the warm-up fetches the token: refused, it counts as fetched for the first send. */
    @Test
    void answers502AtOnceWhenTheTokenFetchedAfterTheRestoreIsRefused() throws Exception {
        tokens.issues("token-one", "token-two");
        restoreWarmUp.start().join();
        for (int i = 0; i < 200 && smtp.logins() < 1; i++) {
            Thread.sleep(25);
        }
        Relay.post(Relay.notification()).statusCode(502).body("smtp_code", equalTo(535));
        assertThat(tokens.calls()).as("no second token for the first send").isEqualTo(1);
        assertThat(smtp.logins()).isEqualTo(1);
        assertThat(smtp.received()).isEmpty();
    }

    /** Rotated in Secrets Manager (here: the variable the stand-in serves): after invalid_client the secret is read once more. */
    @Test
    void answersWithTheProvidersWordsAndAsksOnlyOnceWhenThePlainSecretIsWrong() {
        tokens.refuses(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
        Relay.post(Relay.notification()).statusCode(502);
        assertThat(tokens.calls()).as("a plain secret cannot have changed: no second request").isEqualTo(1);
    }

    @Test
    void answers502WithTheProvidersWordsWhenTheSecretIsWrong() {
        tokens.refuses(401, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
                + "request is the client secret value, not the client secret ID. Trace ID: 0000 Correlation ID: 1111");
        Relay.post(Relay.notification()).statusCode(502).body("retryable", equalTo(true))
                .body("detail", containsString("invalid_client: AADSTS7000215: Invalid client secret provided."))
                .body("detail", not(containsString(TokenEndpointStandIn.CLIENT_SECRET)));
        assertThat(smtp.connections()).isZero();
    }

    @Test
    void answers503WhenTheTokenEndpointIsDownOrThrottles() {
        for (int status : new int[] { 503, 429 }) {
            tokens.fails(status);
            Relay.post(Relay.notification()).statusCode(503).body("retryable", equalTo(true))
                    .body("detail", containsString("answered " + status));
        }
        assertThat(smtp.connections()).isZero();
    }

    @Test
    void answers503WithinTheBudgetWhenTheTokenEndpointIsSilent() {
        tokens.staysSilentFor(Duration.ofSeconds(20));
        long started = System.nanoTime();
        Relay.post(Relay.notification()).statusCode(503).body("retryable", equalTo(true))
                .body("detail", containsString("did not answer in time"));
        assertThat((System.nanoTime() - started) / 1_000_000).as("answered by the 4 s budget").isLessThan(5_000);
        assertThat(smtp.connections()).isZero();
    }

    @Test
    void diagnosticsSignsInWithAFreshTokenAndShowsTheTokenEndpointsWords() {
        tokens.issues("token-one");
        smtp.acceptTokens(Set.of("token-one"));
        DiagnosticsTest.diagnose().body("ok", equalTo(true))
                .body("stages.stage", org.hamcrest.Matchers.hasItems("token", "auth"))
                .body("stages[-1].detail", containsString("AUTH XOAUTH2 (token hidden)"));

        tokens.refuses(400, "invalid_scope", "AADSTS70011: The provided value for the input parameter 'scope' is not valid.");
        DiagnosticsTest.diagnose().body("ok", equalTo(false)).body("stages[-1].stage", equalTo("token"))
                .body("stages[-1].detail", containsString("invalid_scope: AADSTS70011"));
    }
}
