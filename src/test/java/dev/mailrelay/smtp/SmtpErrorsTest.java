package dev.mailrelay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import org.junit.jupiter.api.Test;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;

import dev.mailrelay.smtp.SmtpFailure.SmtpTimeout;
import dev.mailrelay.smtp.SmtpFailure.SmtpUnavailable;
import dev.mailrelay.smtp.SmtpFailure.SmtpUnencodable;

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

    /** One row of SmtpErrors.THROTTLING each: a quota or throttling reply is retried (503), whatever its first digit. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message",
            "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending",
            "550 5.2.251 Sender is throttled", "550 5.2.252 Sender is throttled", "550 5.2.253 Sender is throttled",
            "550 5.2.254 Sender is throttled", "550 5.2.255 Sender is throttled",
            "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to",
            "421 4.7.0 Try again later, closing connection. (EHLO)",
            "454 4.7.0 Too many login attempts, please try again later." })
    void retriesAQuotaOrThrottlingReplyWhateverItsFirstDigit(String line) {
        int code = Integer.parseInt(line.substring(0, 3));
        SmtpFailure failure = SmtpErrors.classify(new io.vertx.ext.mail.SMTPException("sender address not accepted", code,
                java.util.List.of(line), true), true);
        assertThat(failure).isInstanceOf(SmtpUnavailable.class);
        assertThat(failure.status()).isEqualTo(503);
        assertThat(failure.getMessage()).contains(line.substring(4, line.indexOf(' ', 4)));
        assertThat(SmtpErrors.THROTTLING).contains(line.substring(0, line.indexOf(' ', 4)));
    }

    @org.junit.jupiter.api.Test
    void quotesTheServersWordsWhenItRefusesTheLogin() {
        SmtpFailure failure = SmtpErrors.classify(new io.vertx.ext.mail.SMTPException("AUTH LOGIN failed", 535,
                java.util.List.of("535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PR1P264CA0012]"), true), false);
        assertThat(failure.status()).isEqualTo(502);
        assertThat(failure.getMessage()).contains("535 5.7.139 (Authentication unsuccessful, basic authentication is disabled.")
                .contains("SMTP_AUTH");
    }

    /** Found against Postfix with message_size_limit = 350: the client refuses before MAIL FROM, a permanent 422, not 504. */
    @org.junit.jupiter.api.Test
    void dropsAMessageOverTheServersSizeLimitAsNothingWasSent() {
        SmtpFailure failure = SmtpErrors.classify(new io.vertx.core.impl.NoStackTraceThrowable("message exceeds allowed size limit"), true);
        assertThat(failure.status()).isEqualTo(422);
        assertThat(failure.getMessage()).contains("nothing was sent");
    }
}
