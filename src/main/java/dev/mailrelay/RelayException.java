package dev.mailrelay;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLException;

import jakarta.ws.rs.core.Response.Status;

import io.vertx.ext.mail.SMTPException;

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

    /**
     * Classifies what the mail client failed with, by what the SMTP server actually answered:
     * 5yz is permanent (except authentication), 4yz and network or TLS trouble are transient.
     */
    static RelayException fromSmtp(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RelayException known) {
                return known;
            }
            if (t instanceof SMTPException smtp) {
                return fromReply(smtp);
            }
            if (t instanceof UnknownHostException) {
                return new SmtpUnavailable("SMTP_HOST does not resolve", null);
            }
            if (t instanceof ConnectException) {
                return new SmtpUnavailable("cannot connect to the SMTP server (connection refused or unreachable)", null);
            }
            if (t instanceof SSLException || t instanceof GeneralSecurityException) {
                return new SmtpUnavailable("TLS with the SMTP server failed (certificate not trusted, host name mismatch "
                        + "or handshake error): " + Address.redact(t.getMessage()), null);
            }
        }
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : Address.redact(failure.getMessage());
        return new SmtpUnavailable("the SMTP conversation failed: " + message, null);
    }

    private static RelayException fromReply(SMTPException smtp) {
        SmtpReply reply = new SmtpReply(smtp.getReplyCode(), enhancedStatus(smtp), Address.redact(smtp.getReplyMessage()));
        String said = "the SMTP server answered " + reply.code() + (reply.enhancedStatus() == null ? "" : " " + reply.enhancedStatus());
        if (AUTH_CODES.contains(reply.code())) {
            return new SmtpAuthFailed(said + ": check SMTP_USERNAME and SMTP_PASSWORD", reply);
        }
        return smtp.isPermanent() ? new SmtpRejected(said + ": the message was refused", reply)
                : new SmtpUnavailable(said + ": try again later", reply);
    }

    /** 530 authentication required, 534 mechanism too weak, 535 credentials invalid, 538 encryption required. */
    private static final Set<Integer> AUTH_CODES = java.util.Set.of(530, 534, 535, 538);
    private static final Pattern ENHANCED = Pattern.compile("\\b([245]\\.\\d{1,3}\\.\\d{1,3})\\b");

    private static String enhancedStatus(SMTPException e) {
        String text = e.getReplyMessage();
        Matcher m = text == null ? null : ENHANCED.matcher(text);
        return m != null && m.find() ? m.group(1) : null;
    }

    /** Short, stable name used in the problem type URI and the log line. */
    abstract String slug();

    /** The SMTP reply behind this failure, when a server answered. */
    SmtpReply reply() {
        return null;
    }

    /** What an SMTP server said: reply code, enhanced status (may be null) and text. */
    record SmtpReply(int code, String enhancedStatus, String text) {
    }

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

    /** Thrown when the request body is larger than relay.max-body-bytes. */
    static final class PayloadTooLarge extends RelayException {
        PayloadTooLarge(String detail) {
            super(Status.REQUEST_ENTITY_TOO_LARGE.getStatusCode(), false, detail);
        }

        String slug() {
            return "payload-too-large";
        }
    }

    /** Base of the failures where an SMTP server (or the lack of one) decided the outcome. */
    abstract static sealed class SmtpFailure extends RelayException {
        private final SmtpReply reply;

        SmtpFailure(int status, String detail, SmtpReply reply) {
            super(status, status >= 500, detail);
            this.reply = reply;
        }

        @Override
        SmtpReply reply() {
            return reply;
        }
    }

    /** Thrown when the SMTP server rejected the message permanently (5yz), other than for authentication. */
    static final class SmtpRejected extends SmtpFailure {
        SmtpRejected(String detail, SmtpReply reply) {
            super(422, detail, reply);
        }

        String slug() {
            return "smtp-rejected";
        }
    }

    /** Thrown when the SMTP server refused the relay's credentials (535 and kin). */
    static final class SmtpAuthFailed extends SmtpFailure {
        SmtpAuthFailed(String detail, SmtpReply reply) {
            super(502, detail, reply);
        }

        String slug() {
            return "smtp-auth-failed";
        }
    }

    /** Thrown on a transient rejection (4yz), refused connection, unknown host or failed TLS handshake. */
    static final class SmtpUnavailable extends SmtpFailure {
        SmtpUnavailable(String detail, SmtpReply reply) {
            super(503, detail, reply);
        }

        String slug() {
            return "smtp-unavailable";
        }
    }

    /** Thrown when the SMTP server did not finish within the time budget; the mail may or may not have left. */
    static final class SmtpTimeout extends SmtpFailure {
        SmtpTimeout(String detail) {
            super(504, detail, null);
        }

        String slug() {
            return "smtp-timeout";
        }
    }
}
