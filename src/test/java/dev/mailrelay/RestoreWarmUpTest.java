package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * What a SnapStart restore starts in the background ({@link RestoreWarmUp}), with both secrets in
 * Secrets Manager (WireMock) and a real SMTP server with STARTTLS and AUTH: the first send takes
 * over the connection it opened, and a refused login there is that send's one login.
 */
@QuarkusTest
@TestProfile(RestoreWarmUpTest.Restored.class)
class RestoreWarmUpTest {

    /** Both secrets by ARN; a keep-alive that outlasts a cold test JVM's first request. */
    public static class Restored extends OwnSmtpServerProfile {
        @Override
        public java.util.List<TestResourceEntry> testResources() {
            return java.util.List.of(smtpServer(java.util.Map.of("secrets-by-arn", "true", "keep-alive", "15s")),
                    new TestResourceEntry(SecretsManagerStandIn.class, java.util.Map.of(), true));
        }
    }

    TestSmtpServer smtp;
    SecretsManagerStandIn secretsManager;

    @Inject
    RestoreWarmUp warmUp;
    @Inject
    dev.mailrelay.smtp.SmtpSender sender;

    @BeforeEach
    void reset() {
        smtp.reset(); // also drops the relay's clients, as after a restore nothing is open
        smtp.changePassword(TestSmtpServer.PASSWORD);
        secretsManager.holds(SecretsManagerStandIn.RELAY_SECRET_ARN, SmtpServerResource.SECRET);
        secretsManager.holds(SecretsManagerStandIn.SMTP_PASSWORD_ARN, TestSmtpServer.PASSWORD);
    }

    @Test
    void firstSendUsesTheConnectionOpenedAfterTheRestore() throws Exception {
        warmUp.start().join();
        awaitLogins(1);
        assertThat(smtp.connections()).isEqualTo(1);
        assertThat(smtp.received()).isEmpty(); // signed in, nothing sent

        Relay.post(Relay.notification()).statusCode(200).body("status", equalTo("sent"));

        assertThat(smtp.received()).hasSize(1);
        assertThat(smtp.connections()).isEqualTo(1);
        assertThat(smtp.logins()).isEqualTo(1);
    }

    @Test
    void firstSendArrivingWhileTheConnectionOpensWaitsForIt() {
        warmUp.start(); // the event arrives as the hook returns, as on Lambda
        Relay.post(Relay.notification()).statusCode(200).body("status", equalTo("sent"));

        assertThat(smtp.received()).hasSize(1);
        assertThat(smtp.connections()).isEqualTo(1);
        assertThat(smtp.logins()).isEqualTo(1);
    }

    @Test
    void refusedLoginAfterTheRestoreIsTheFirstSendsOnlyLogin() throws Exception {
        smtp.changePassword("rotated-on-the-server-only");
        warmUp.start().join();
        awaitLogins(1);

        Relay.post(Relay.notification()).statusCode(502).body("smtp_code", equalTo(535));

        assertThat(smtp.logins()).isEqualTo(1); // the same password is not tried twice: accounts lock
        assertThat(smtp.received()).isEmpty();
    }

    /** The event may even come before the warm-up's thread runs: the send still waits for its connection. */
    @Test
    void firstSendArrivingBeforeTheWarmUpRunsWaitsForIt() throws Exception {
        sender.prepareWarmUp(); // what the restore hook does before it starts the thread
        var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> Relay.post(Relay.notification()).extract().statusCode());
        Thread.sleep(300);
        warmUp.run();
        assertThat(answer.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(smtp.connections()).isEqualTo(1);
        assertThat(smtp.logins()).isEqualTo(1);
    }

    /** A server that stays silent for the warm-up is not tried a second time by the send (its sign-in may be a slow refusal). */
    @Test
    void silentServerAfterTheRestoreIsNotTriedTwice() {
        smtp.breakAt(TestSmtpServer.Stage.GREETING, TestSmtpServer.Kind.SILENCE);
        warmUp.start();
        Relay.post(Relay.notification()).statusCode(503).body("retryable", equalTo(true))
                .body("detail", org.hamcrest.Matchers.containsString("nothing was sent"));
        assertThat(smtp.connections()).isEqualTo(1);
        assertThat(smtp.received()).isEmpty();
    }

    private void awaitLogins(int logins) throws InterruptedException {
        for (int i = 0; i < 200 && smtp.logins() < logins; i++) {
            Thread.sleep(25);
        }
        assertThat(smtp.logins()).isEqualTo(logins);
        Thread.sleep(100); // the connection goes back to the pool just after the server's 235
    }
}
