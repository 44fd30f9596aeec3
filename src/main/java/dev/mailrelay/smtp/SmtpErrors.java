package dev.mailrelay.smtp;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLHandshakeException;

import io.netty.handler.ssl.NotSslRecordException;
import io.quarkus.logging.Log;
import io.vertx.ext.mail.SMTPException;

import dev.mailrelay.smtp.SmtpFailure.SmtpAuthFailed;
import dev.mailrelay.smtp.SmtpFailure.Phase;
import dev.mailrelay.smtp.SmtpFailure.SmtpRejected;
import dev.mailrelay.smtp.SmtpFailure.SmtpReply;
import dev.mailrelay.smtp.SmtpFailure.SmtpTimeout;
import dev.mailrelay.smtp.SmtpFailure.SmtpUnavailable;
import dev.mailrelay.smtp.SmtpFailure.SmtpUnencodable;

import dev.mailrelay.oauth.TokenFailure;


/**
 * Classifies what the mail client failed with, by what the SMTP server actually answered and
 * how far the conversation got: 5yz is permanent (except authentication), 4yz and network or
 * TLS trouble are transient; a conversation broken off without an answer is uncertain once the
 * message was handed over, and safe to repeat before.
 */
final class SmtpErrors {

    /** 530 authentication required, 534 mechanism too weak, 535 credentials invalid, 538 encryption required. */
    private static final Set<Integer> AUTH_CODES = Set.of(530, 534, 535, 538);
    private static final Pattern ENHANCED = Pattern.compile("\\b([245]\\.\\d{1,3}\\.\\d{1,3})\\b");
    /** The Vert.x mail client's message for a reply to the final "." (SMTPSendMail); all others precede the data. */
    private static final String AFTER_DATA = "sending data failed";

    private SmtpErrors() {
    }

    private static final String PASSWORD_ADVICE = ": check SMTP_USERNAME and SMTP_PASSWORD, or SMTP_AUTH (Microsoft 365 and "
            + "Google want OAuth: docs/providers.md)";
    private static final String OAUTH_ADVICE = ": the server refused the access token; check the app's SMTP permission and "
            + "admin consent, the mailbox's permission for it, and SMTP AUTH for the mailbox (docs/providers.md)";

    /** True when the mail client gave up because the server does not offer the AUTH mechanism it was given. */
    static boolean mechanismNotOffered(Throwable failure) {
        return failure != null && failure.getMessage() != null && failure.getMessage().contains("no allowed AUTH methods");
    }

    /** {@code handedOver}: whether the message had been handed over to the mail client (see SmtpSender.Handover). */
    static SmtpFailure classify(Throwable failure, boolean handedOver) {
        return classify(failure, handedOver, false);
    }

    /** {@code oauth}: the route signs in with an access token, so a refused login gets that advice. */
    static SmtpFailure classify(Throwable failure, boolean handedOver, boolean oauth) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SmtpFailure known) {
                return known;
            }
            if (t instanceof TokenFailure token) {
                // Not repeated in-process: a token endpoint that throttles (429) or is down gets Auth0's slower retries.
                return token.kind() == TokenFailure.Kind.REFUSED
                        ? new SmtpAuthFailed(token.getMessage() + " (check SMTP_OAUTH_* and docs/providers.md)", null)
                        : new SmtpUnavailable(token.getMessage(), null, Phase.BEFORE_DATA, false);
            }
            if (t instanceof SMTPException smtp) {
                return fromReply(smtp, oauth);
            }
            if (t instanceof UnknownHostException) {
                return new SmtpUnavailable("the SMTP host does not resolve", null, Phase.BEFORE_DATA);
            }
            if (t instanceof ConnectException) {
                return new SmtpUnavailable("cannot connect to the SMTP server (connection refused or unreachable)", null,
                        Phase.BEFORE_DATA);
            }
            // Only the handshake: a TLS error later (a reset mid-DATA, say) says nothing of how far the data got.
            // A server that answers STARTTLS with 454 stays in plain text, which the client's handshake
            // then reads as a record that is not TLS: that too is before any data.
            if (t instanceof SSLHandshakeException || t instanceof GeneralSecurityException || t instanceof NotSslRecordException) {
                Log.warnf("TLS with the SMTP server failed: %s", t.getClass().getSimpleName());
                return new SmtpUnavailable("TLS with the SMTP server failed (STARTTLS refused, certificate not trusted, "
                        + "host name mismatch, or no TLS 1.2+ in common); nothing was sent", null, Phase.BEFORE_DATA);
            }
            // The mail client's own argument checks (an address it cannot write), never the server's doing.
            if (t instanceof IllegalArgumentException) {
                return new SmtpUnencodable("the mail client cannot write this message (an address or header it cannot carry)");
            }
        }
        String message = failure.getMessage() == null ? "" : failure.getMessage();
        if (message.contains("STARTTLS required")) {
            return new SmtpUnavailable("the SMTP server does not offer STARTTLS, which SMTP_TLS=starttls requires", null,
                    Phase.BEFORE_DATA);
        }
        if (message.contains("message exceeds allowed size limit")) {
            // The mail client's own check against the server's EHLO SIZE, before MAIL FROM: nothing was sent.
            return new SmtpRejected("the message is larger than the SMTP server accepts (its EHLO SIZE limit); nothing was sent",
                    null, Phase.BEFORE_DATA);
        }
        if (mechanismNotOffered(failure)) {
            return new SmtpUnavailable("the SMTP server offers none of the AUTH mechanisms SMTP_AUTH allows (password: PLAIN, "
                    + "LOGIN; microsoft, google, oauth2: XOAUTH2). A server offering only XOAUTH2 (Microsoft 365, Google) needs "
                    + "SMTP_AUTH=microsoft or google; `node actions/try-local.js --diagnostics` lists what it offers", null,
                    Phase.BEFORE_DATA);
        }
        // Raw exception text stays out of the answer (it reaches the Auth0 tenant log); the class name goes to ours.
        Log.warnf("SMTP conversation broke off: %s", failure.getClass().getName());
        if (!handedOver) {
            return new SmtpUnavailable("the SMTP server ended the conversation before the message was sent; nothing was sent",
                    null, Phase.BEFORE_DATA);
        }
        return new SmtpTimeout("the SMTP conversation broke off without an answer; the message may or may not have been accepted");
    }

    private static SmtpFailure fromReply(SMTPException smtp, boolean oauth) {
        SmtpReply reply = new SmtpReply(smtp.getReplyCode(), enhancedStatus(smtp), Addresses.redact(smtp.getReplyMessage()));
        Phase phase = smtp.getMessage() != null && smtp.getMessage().startsWith(AFTER_DATA) ? Phase.REFUSED_AFTER_DATA
                : Phase.BEFORE_DATA;
        String said = "the SMTP server answered " + reply.code() + (reply.enhancedStatus() == null ? "" : " " + reply.enhancedStatus())
                + words(reply);
        if (throttled(reply)) {
            return new SmtpUnavailable(said + ": the account is over a sending limit or throttled; try again later", reply, phase);
        }
        if (AUTH_CODES.contains(reply.code())) {
            return new SmtpAuthFailed(said + (oauth ? OAUTH_ADVICE : PASSWORD_ADVICE), reply);
        }
        return smtp.isPermanent() ? new SmtpRejected(said + ": the message was refused", reply, phase)
                : new SmtpUnavailable(said + ": try again later", reply, phase);
    }

    /**
     * Replies that mean "over quota" or "throttled", matched on codes (their texts vary): whatever
     * their first digit, the message is not bad and the account recovers, so they are retried
     * (503), never dropped.
     */
    static final java.util.List<String> THROTTLING = java.util.List.of(
            "554 5.2.0",   // Microsoft 365: SubmissionQuotaExceededException (10 000 recipients a day)
            "432 4.3.2",   // Microsoft 365: concurrent connections limit exceeded (3 per mailbox)
            "550 5.2.251", "550 5.2.252", "550 5.2.253", "550 5.2.254", "550 5.2.255", // Microsoft 365: sender throttled
            "550 5.4.5",   // Gmail: daily user sending limit exceeded
            "421 4.7.0",   // Gmail: temporary system problem, or too many connections
            "454 4.7.0");  // Gmail: too many login attempts

    private static boolean throttled(SmtpReply reply) {
        return reply.enhancedStatus() != null && THROTTLING.contains(reply.code() + " " + reply.enhancedStatus());
    }

    /** The server's own words after the codes, on one line and cut short (addresses were redacted already). */
    private static String words(SmtpReply reply) {
        if (reply.text() == null) {
            return "";
        }
        String text = reply.text().replaceAll("\\p{Cntrl}+", " ").replaceFirst("^\\s*\\d{3}[ -]?", "");
        if (reply.enhancedStatus() != null) {
            text = text.replaceFirst("^\\s*" + java.util.regex.Pattern.quote(reply.enhancedStatus()), "");
        }
        text = text.replaceAll("\\s+", " ").strip();
        return text.isEmpty() ? "" : " (" + (text.length() > 200 ? text.substring(0, 200) + "…" : text) + ")";
    }

    private static String enhancedStatus(SMTPException e) {
        String text = e.getReplyMessage();
        Matcher m = text == null ? null : ENHANCED.matcher(text);
        return m != null && m.find() ? m.group(1) : null;
    }
}
