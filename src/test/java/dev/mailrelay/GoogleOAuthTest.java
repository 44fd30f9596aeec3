package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * SMTP_AUTH=google: a service account key (made for this run) signs a JWT bearer assertion for
 * the mailbox, a Google-shaped token endpoint (WireMock) answers, and a server that accepts only
 * XOAUTH2 refuses a bad token as Gmail does (334 challenge, then 535).
 */
@QuarkusTest
@TestProfile(GoogleOAuthTest.Google.class)
class GoogleOAuthTest {

    public static class Google extends OwnSmtpServerProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(smtpServer(Map.of("sign-in", "XOAUTH2_GOOGLE")),
                    new TestResourceEntry(TokenEndpointStandIn.class, Map.of("provider", "google"), true));
        }
    }

    TestSmtpServer smtp;
    TokenEndpointStandIn tokens;

    @BeforeEach
    void reset() {
        smtp.reset();
        tokens.forget();
    }

    @Test
    void signsAnAssertionForTheMailboxThatTheServiceAccountKeyVerifies() throws Exception {
        tokens.issues("ya29.token-one");
        smtp.acceptTokens(Set.of("ya29.token-one"));
        Relay.post(Relay.notification()).statusCode(200).body("status", equalTo("sent"));
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(tokens.calls()).isEqualTo(1);

        Map<String, String> form = tokens.forms().get(0);
        assertThat(form).containsEntry("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
        String[] jwt = form.get("assertion").split("\\.");
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initVerify(tokens.publicKey());
        rs256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(rs256.verify(Base64.getUrlDecoder().decode(jwt[2]))).as("signed by the service account's key").isTrue();
        JsonNode header = Relay.JSON.readTree(Base64.getUrlDecoder().decode(jwt[0]));
        JsonNode claims = Relay.JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
        assertThat(header.get("alg").asText()).isEqualTo("RS256");
        assertThat(header.get("kid").asText()).isEqualTo("0123456789abcdef");
        assertThat(claims.get("iss").asText()).isEqualTo(TokenEndpointStandIn.SERVICE_ACCOUNT);
        assertThat(claims.get("sub").asText()).isEqualTo(TestSmtpServer.USERNAME);
        assertThat(claims.get("scope").asText()).isEqualTo("https://mail.google.com/");
        assertThat(claims.get("aud").asText()).isEqualTo(tokens.tokenUrl());
        assertThat(claims.get("exp").asLong() - claims.get("iat").asLong()).isBetween(1L, 3600L);
    }

    @Test
    void fetchesANewTokenOnceWhenGmailChallengesTheCachedOne() throws Exception {
        tokens.issues("ya29.token-one", "ya29.token-two");
        smtp.acceptTokens(Set.of("ya29.token-one"));
        Relay.post(Relay.notification()).statusCode(200);
        smtp.acceptTokens(Set.of("ya29.token-two"));
        smtp.closeOpenConnections();
        Thread.sleep(200); // the relay sees the close before the next mail (a close racing a reuse: DeliveryTest)
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(tokens.calls()).isEqualTo(2);
        assertThat(smtp.received()).hasSize(2);
    }

    @Test
    void answers502WithGmailsWordsWhenAFreshTokenIsChallenged() {
        tokens.issues("ya29.token-one", "ya29.token-two");
        Relay.post(Relay.notification()).statusCode(502).body("smtp_code", equalTo(535)).body("detail", containsString("5.7.8"));
        assertThat(smtp.logins()).isEqualTo(1);
        assertThat(tokens.calls()).isEqualTo(1);
    }

    @Test
    void answers502WithGooglesWordsWhenDelegationIsMissing() {
        tokens.refuses(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client "
                + "not authorized for any of the scopes requested.");
        Relay.post(Relay.notification()).statusCode(502).body("detail", containsString("unauthorized_client: Client is unauthorized"));
        assertThat(smtp.connections()).isZero();
    }

    @Test
    void diagnosticsDecodesGmailsChallenge() {
        tokens.issues("ya29.refused");
        DiagnosticsTest.diagnose().body("ok", equalTo(false)).body("stages[-1].stage", equalTo("auth"))
                .body("stages[-1].detail", containsString("\"status\":\"401\""))
                .body("stages[-1].serverSays", containsString("535"));
    }
}
