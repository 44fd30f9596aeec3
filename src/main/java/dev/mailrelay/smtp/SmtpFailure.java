package dev.mailrelay.smtp;

/**
 * Base of the failures where an SMTP server (or the lack of one) decided the outcome, one
 * subclass per failure mode; the relay's problem mapper turns them into problem+json.
 */
public abstract sealed class SmtpFailure extends RuntimeException {

    /** How far the message got, which decides whether sending it again could duplicate it. */
    public enum Phase {
        /** Failed before the message data was handed over: trying again cannot duplicate it. */
        BEFORE_DATA,
        /** The server answered the final "." with a refusal: the message was not accepted. */
        REFUSED_AFTER_DATA,
        /** The conversation broke off without an answer, possibly after the final ".". */
        UNCERTAIN
    }

    private final int status;
    private final SmtpReply reply;
    private final Phase phase;
    private int attempts = 1;

    SmtpFailure(int status, String detail, SmtpReply reply, Phase phase) {
        super(detail, null, false, false);
        this.status = status;
        this.reply = reply;
        this.phase = phase;
    }

    /** The answer's status (SPEC §3). */
    public int status() {
        return status;
    }

    /** Whether Auth0 should retry: every 5xx. */
    public boolean retryable() {
        return status >= 500;
    }

    /** Short, stable name used in the problem type URI and the log line. */
    public abstract String slug();

    public SmtpReply reply() {
        return reply;
    }

    public Phase phase() {
        return phase;
    }

    public int attempts() {
        return attempts;
    }

    public SmtpFailure afterAttempts(int count) {
        this.attempts = count;
        return this;
    }

    /** What an SMTP server said: reply code, enhanced status (may be null) and text with addresses redacted. */
    public record SmtpReply(int code, String enhancedStatus, String text) {
    }

    /** Thrown when the SMTP server rejected the message permanently (5yz), other than for authentication. */
    public static final class SmtpRejected extends SmtpFailure {
        public SmtpRejected(String detail, SmtpReply reply, Phase phase) {
            super(422, detail, reply, phase);
        }

        public String slug() {
            return "smtp-rejected";
        }
    }

    /** Thrown when the SMTP server refused the relay's credentials (535 and kin). */
    public static final class SmtpAuthFailed extends SmtpFailure {
        public SmtpAuthFailed(String detail, SmtpReply reply) {
            super(502, detail, reply, Phase.BEFORE_DATA);
        }

        public String slug() {
            return "smtp-auth-failed";
        }
    }

    /** Thrown on a transient rejection (4yz), refused connection, unknown host, failed TLS, or an open circuit. */
    public static final class SmtpUnavailable extends SmtpFailure {
        private final boolean repeatHere;

        public SmtpUnavailable(String detail, SmtpReply reply, Phase phase) {
            this(detail, reply, phase, true);
        }

        /** {@code repeatHere} false: worth the fallback server, not another attempt at this one (a silence that may have been a login). */
        public SmtpUnavailable(String detail, SmtpReply reply, Phase phase, boolean repeatHere) {
            super(503, detail, reply, phase);
            this.repeatHere = repeatHere;
        }

        /** Whether another attempt at the same server, in-process, makes sense. */
        public boolean repeatHere() {
            return repeatHere && safeToRetry();
        }

        public String slug() {
            return "smtp-unavailable";
        }

        /** Only a failure before the data went out may be sent again in-process, or to the fallback. */
        public boolean safeToRetry() {
            return phase() == Phase.BEFORE_DATA;
        }
    }

    /**
     * Thrown when the mail client refuses to write the message (an address or header it cannot
     * carry) before any of it reached a server: the same notification would fail again, so drop it.
     */
    public static final class SmtpUnencodable extends SmtpFailure {
        public SmtpUnencodable(String detail) {
            super(400, detail, null, Phase.BEFORE_DATA);
        }

        public String slug() {
            return "message-unencodable";
        }
    }

    /** Thrown when the SMTP server went silent or the time budget ran out; the mail may or may not have left. */
    public static final class SmtpTimeout extends SmtpFailure {
        public SmtpTimeout(String detail) {
            super(504, detail, null, Phase.UNCERTAIN);
        }

        public String slug() {
            return "smtp-timeout";
        }
    }
}
