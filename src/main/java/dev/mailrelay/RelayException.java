package dev.mailrelay;

/**
 * One failure mode each, of the relay itself (the SMTP ones are {@code smtp.SmtpFailure});
 * {@link ProblemMapper} turns both into problem+json. The status and whether Auth0 should retry
 * are part of the wire contract (SPEC §3), so they live with the failure.
 */
public abstract sealed class RelayException extends RuntimeException {

    private final int status;
    private final boolean retryable;

    RelayException(int status, boolean retryable, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.retryable = retryable;
    }

    public int status() {
        return status;
    }

    public boolean retryable() {
        return retryable;
    }

    /** Short, stable name used in the problem type URI and the log line. */
    public abstract String slug();

    /** Thrown when the body is not JSON, a field is missing or of the wrong type, or an address is invalid. */
    public static final class InvalidNotification extends RelayException {
        public InvalidNotification(String detail) {
            super(400, false, detail);
        }

        public String slug() {
            return "invalid-notification";
        }
    }

    /** Thrown when the Standard Webhooks signature is missing, wrong, or its timestamp is outside ±5 min. */
    public static final class SignatureRejected extends RelayException {
        public SignatureRejected(String detail) {
            super(401, false, detail);
        }

        public String slug() {
            return "signature-rejected";
        }
    }

    /** Thrown when the notification's from address is not allowed for this relay. */
    public static final class SenderNotAllowed extends RelayException {
        public SenderNotAllowed(String detail) {
            super(403, false, detail);
        }

        public String slug() {
            return "sender-not-allowed";
        }
    }

    /** Thrown when another invocation is delivering the same webhook-id right now. */
    public static final class InFlight extends RelayException {
        public InFlight(String detail) {
            super(409, true, detail);
        }

        public String slug() {
            return "in-flight";
        }
    }

    /** Thrown when a secret configured by ARN cannot be read from Secrets Manager. */
    public static final class SecretUnavailable extends RelayException {
        public SecretUnavailable(String detail) {
            super(503, true, detail);
        }

        public String slug() {
            return "secret-unavailable";
        }
    }

    /** Thrown when the idempotency store (DynamoDB) cannot be reached to claim a webhook-id; nothing was sent. */
    public static final class StoreUnavailable extends RelayException {
        public StoreUnavailable(String detail) {
            super(503, true, detail);
        }

        public String slug() {
            return "store-unavailable";
        }
    }

    /** Thrown when the request body is larger than relay.max-body-bytes. */
    public static final class PayloadTooLarge extends RelayException {
        public PayloadTooLarge(String detail) {
            super(413, false, detail);
        }

        public String slug() {
            return "payload-too-large";
        }
    }
}
