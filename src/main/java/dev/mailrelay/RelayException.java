package dev.mailrelay;

/**
 * One failure mode each; {@link ProblemMapper} turns them into problem+json. The status and
 * whether Auth0 should retry are part of the wire contract (SPEC §3), so they live here.
 */
public abstract sealed class RelayException extends RuntimeException {

    private final int status;
    private final boolean retryable;

    RelayException(int status, boolean retryable, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.retryable = retryable;
    }

    int status() {
        return status;
    }

    boolean retryable() {
        return retryable;
    }

    /** Short, stable name used in the problem type URI and the log line. */
    abstract String slug();

    /** Thrown when the body is not JSON, a field is missing or of the wrong type, or an address is invalid. */
    static final class InvalidNotification extends RelayException {
        InvalidNotification(String detail) {
            super(400, false, detail);
        }

        String slug() {
            return "invalid-notification";
        }
    }

    /** Thrown when the Standard Webhooks signature is missing, wrong, or its timestamp is outside ±5 min. */
    static final class SignatureRejected extends RelayException {
        SignatureRejected(String detail) {
            super(401, false, detail);
        }

        String slug() {
            return "signature-rejected";
        }
    }

    /** Thrown when the notification's from address is not allowed for this relay. */
    static final class SenderNotAllowed extends RelayException {
        SenderNotAllowed(String detail) {
            super(403, false, detail);
        }

        String slug() {
            return "sender-not-allowed";
        }
    }

    /** Thrown when another invocation is delivering the same webhook-id right now. */
    static final class InFlight extends RelayException {
        InFlight(String detail) {
            super(409, true, detail);
        }

        String slug() {
            return "in-flight";
        }
    }

    /** Thrown when a secret configured by ARN cannot be read from Secrets Manager. */
    static final class SecretUnavailable extends RelayException {
        SecretUnavailable(String detail) {
            super(503, true, detail);
        }

        String slug() {
            return "secret-unavailable";
        }
    }

    /** Thrown when the request body is larger than relay.max-body-bytes. */
    static final class PayloadTooLarge extends RelayException {
        PayloadTooLarge(String detail) {
            super(413, false, detail);
        }

        String slug() {
            return "payload-too-large";
        }
    }

    /** Base of the failures where an SMTP server (or the lack of one) decided the outcome. */
    abstract static sealed class SmtpFailure extends RelayException {

        /** How far the message got, which decides whether sending it again could duplicate it. */
        enum Phase {
            /** Failed before the message data was handed over: trying again cannot duplicate it. */
            BEFORE_DATA,
            /** The server answered the final "." with a refusal: the message was not accepted. */
            REFUSED_AFTER_DATA,
            /** The conversation broke off without an answer, possibly after the final ".". */
            UNCERTAIN
        }

        private final SmtpReply reply;
        private final Phase phase;
        private int attempts = 1;

        SmtpFailure(int status, String detail, SmtpReply reply, Phase phase) {
            super(status, status >= 500, detail);
            this.reply = reply;
            this.phase = phase;
        }

        SmtpReply reply() {
            return reply;
        }

        Phase phase() {
            return phase;
        }

        int attempts() {
            return attempts;
        }

        SmtpFailure afterAttempts(int count) {
            this.attempts = count;
            return this;
        }
    }

    /** What an SMTP server said: reply code, enhanced status (may be null) and text with addresses redacted. */
    record SmtpReply(int code, String enhancedStatus, String text) {
    }

    /** Thrown when the SMTP server rejected the message permanently (5yz), other than for authentication. */
    static final class SmtpRejected extends SmtpFailure {
        SmtpRejected(String detail, SmtpReply reply, Phase phase) {
            super(422, detail, reply, phase);
        }

        String slug() {
            return "smtp-rejected";
        }
    }

    /** Thrown when the SMTP server refused the relay's credentials (535 and kin). */
    static final class SmtpAuthFailed extends SmtpFailure {
        SmtpAuthFailed(String detail, SmtpReply reply) {
            super(502, detail, reply, Phase.BEFORE_DATA);
        }

        String slug() {
            return "smtp-auth-failed";
        }
    }

    /** Thrown on a transient rejection (4yz), refused connection, unknown host, failed TLS, or an open circuit. */
    static final class SmtpUnavailable extends SmtpFailure {
        SmtpUnavailable(String detail, SmtpReply reply, Phase phase) {
            super(503, detail, reply, phase);
        }

        String slug() {
            return "smtp-unavailable";
        }

        /** Only a failure before the data went out may be sent again in-process, or to the fallback. */
        boolean safeToRetry() {
            return phase() == Phase.BEFORE_DATA;
        }
    }

    /** Thrown when the SMTP server went silent or the time budget ran out; the mail may or may not have left. */
    static final class SmtpTimeout extends SmtpFailure {
        SmtpTimeout(String detail) {
            super(504, detail, null, Phase.UNCERTAIN);
        }

        String slug() {
            return "smtp-timeout";
        }
    }
}
