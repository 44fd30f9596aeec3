package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** SMTP_TLS=implicit (port 465 style): TLS from the first byte, certificate and host name checked. */
@QuarkusTest
@TestProfile(ImplicitTlsTest.ImplicitTls.class)
class ImplicitTlsTest {

    public static class ImplicitTls extends OwnSmtpServerProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(smtpServer(Map.of("tls", "implicit")));
        }
    }

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    @Test
    void deliversOverImplicitTls() {
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void refusesACertificateForAnotherHost() {
        smtp.present(TestSmtpServer.Certificate.WRONG_HOST);
        smtp.offerOnly("PLAIN"); // restarts the listener with the other certificate
        Relay.post(Relay.notification()).statusCode(503).body("detail", containsString("TLS"));
        assertThat(smtp.received()).isEmpty();
    }
}
