package dev.mailrelay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import org.junit.jupiter.api.Test;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;

import dev.mailrelay.RelayException.SmtpFailure;
import dev.mailrelay.RelayException.SmtpTimeout;
import dev.mailrelay.RelayException.SmtpUnavailable;
import dev.mailrelay.RelayException.SmtpUnencodable;

/** What the mail client fails with, as the relay answers it: the right status, and never the exception's own words. */
class SmtpErrorsTest {

    @Test
    void answers503WithoutTheHexDumpWhenTheServerRefusedStarttls() {
        // 454 to STARTTLS: the server stays in plain text and the client's handshake reads its next reply.
        SmtpFailure failure = SmtpErrors.classify(new DecoderException(new NotSslRecordException(
                "not an SSL/TLS record: 3435342034" + "2e372e30205453")), false);
        assertThat(failure).isInstanceOf(SmtpUnavailable.class);
        assertThat(((SmtpUnavailable) failure).safeToRetry()).isTrue();
        assertThat(failure.status()).isEqualTo(503);
        assertThat(failure.getMessage()).doesNotContain("3435").contains("nothing was sent");
    }

    @Test
    void answers400ForAnAddressTheClientCannotWrite() {
        SmtpFailure failure = SmtpErrors.classify(new RuntimeException(new IllegalArgumentException("invalid address \"p,q\"@example.org")), false);
        assertThat(failure).isInstanceOf(SmtpUnencodable.class);
        assertThat(failure.status()).isEqualTo(400);
        assertThat(failure.retryable()).isFalse();
        assertThat(failure.getMessage()).doesNotContain("p,q").doesNotContain("example.org");
    }

    @Test
    void keepsAnUnknownFailuresTextOutOfTheAnswer() {
        SmtpFailure failure = SmtpErrors.classify(new IOException("Connection reset by peer to jane@example.org"), true);
        assertThat(failure).isInstanceOf(SmtpTimeout.class);
        assertThat(failure.getMessage()).doesNotContain("jane").doesNotContain("reset by peer");
    }

    @Test
    void answers503NotUncertainWhenTheConversationBrokeOffBeforeTheMessage() {
        SmtpFailure failure = SmtpErrors.classify(new IOException("socket was closed unexpected."), false);
        assertThat(failure).isInstanceOf(SmtpUnavailable.class);
        assertThat(((SmtpUnavailable) failure).safeToRetry()).isTrue();
        assertThat(failure.status()).isEqualTo(503);
    }

    @Test
    void recognisesTheClientsRefusalToSignInWithAMechanismTheServerDoesNotOffer() {
        assertThat(SmtpErrors.mechanismNotOffered(new RuntimeException(
                "login is required, but no allowed AUTH methods available. You may need to do STARTTLS"))).isTrue();
        assertThat(SmtpErrors.mechanismNotOffered(new RuntimeException("AUTH PLAIN failed"))).isFalse();
    }
}
