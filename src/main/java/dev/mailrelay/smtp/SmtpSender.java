package dev.mailrelay.smtp;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

import io.quarkus.logging.Log;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.MailResult;
import io.vertx.ext.mail.mailencoder.MailEncoder;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.mail.MailClient;

import dev.mailrelay.smtp.SmtpConfig.TlsMode;
import dev.mailrelay.smtp.SmtpFailure.SmtpAuthFailed;
import dev.mailrelay.smtp.SmtpFailure.Phase;
import dev.mailrelay.smtp.SmtpFailure.SmtpTimeout;
import dev.mailrelay.smtp.SmtpFailure.SmtpUnavailable;
import dev.mailrelay.smtp.SmtpRoute.MailAccount;


/**
 * The only class that sends mail, and the owner of the fault-tolerance policy: per server
 * ({@link SmtpRoute}), a retry of failures before the message data was sent (jittered, inside the
 * request's deadline) behind a circuit breaker; then, for such failures only, the optional
 * fallback server; and one more login only when the password read again from Secrets Manager
 * changed (a refused login is never simply repeated: accounts lock). Nothing is ever sent again
 * once the message may have reached a server: each attempt's message is either handed over to
 * the mail client (on an open, signed-in connection, right before MAIL FROM) or abandoned, never
 * both ({@link Handover}). Without SMTP_HOST (dev mode only, see StartupCheck) it logs what it would
 * have sent.
 */
@Singleton
public class SmtpSender {

    /** No attempt starts with less time than this left: it could only end in a timeout. */
    private static final Duration MIN_ATTEMPT = Duration.ofMillis(500);

    /** A delivered message: its Message-ID, the attempts it took, and which server accepted it. */
    public record Delivery(String messageId, int attempts, String server) {
    }

    /** The per-request count of attempts, their last failure, and the deadline they share. */
    private static final class Attempts {
        final Instant deadline;
        final Instant started = Instant.now();
        /** Since when the secret in use counts as obtained for this request (earlier when a restore's warm-up read it). */
        Instant secretSince = started;
        int count;
        SmtpFailure last;
        boolean freshPassword;

        Attempts(Instant deadline) {
            this.deadline = deadline;
        }

        Duration remaining() {
            return Duration.between(Instant.now(), deadline);
        }

        /** The time left, or the end of this route's attempts (with the last failure) when it cannot hold another. */
        Duration requireTime() {
            Duration left = remaining();
            if (left.compareTo(MIN_ATTEMPT) < 0) {
                throw new BudgetSpent(last != null ? last
                        : new SmtpTimeout("the time budget was spent before the SMTP server could be tried"));
            }
            return left;
        }
    }

    /** Ends the retries of one route when the budget cannot hold another attempt; carries the last failure. */
    private static final class BudgetSpent extends RuntimeException {
        final SmtpFailure last;

        BudgetSpent(SmtpFailure last) {
            super(null, null, false, false);
            this.last = last;
        }
    }

    /**
     * One attempt's message. The mail client reads its text only when it starts writing the message
     * on a connection that is open and signed in; from then on the outcome of a silence is
     * uncertain. A timed-out or failed attempt abandons it first, and an abandoned message can no
     * longer be handed over (the read throws and the client ends that conversation before MAIL), so
     * whether an attempt may be repeated is decided exactly once.
     */
    static final class Handover extends MailMessage {
        private final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
        private static final int PENDING = 0;
        private static final int HANDED_OVER = 1;
        private static final int ABANDONED = 2;

        @Override
        public String getText() {
            if (!state.compareAndSet(PENDING, HANDED_OVER) && state.get() == ABANDONED) {
                throw new IllegalStateException("this attempt was abandoned before its message was handed over");
            }
            return super.getText();
        }

        /** True when nothing of this message was or will be sent; false when it was handed over. */
        boolean abandon() {
            return state.compareAndSet(PENDING, ABANDONED) || state.get() == ABANDONED;
        }
    }

    private final SmtpRoute primary;
    private final SmtpRoute fallback;
    private final Optional<String> account;
    private final SendPolicy policy;

    SmtpSender(Vertx vertx, SendPolicy policy, SmtpConfig smtp, SecretSource secrets, com.fasterxml.jackson.databind.ObjectMapper json) {
        this.policy = policy;
        this.account = Addresses.envelopeAccount(smtp.username());
        String helo = SmtpRoute.heloName(smtp.heloName(), policy.sendingAddresses(), smtp.username());
        this.primary = smtp.host().map(host -> new SmtpRoute("primary", vertx, policy, smtp,
                new MailAccount(host, smtp.port(), smtp.username(), SignIn.primary(smtp, secrets, json), smtp.tls()), helo))
                .orElse(null);
        SmtpConfig.Fallback fb = smtp.fallback();
        this.fallback = fb.host().map(host -> new SmtpRoute("fallback", vertx, policy, smtp, new MailAccount(host,
                fb.port().orElse(587), fb.username(), SignIn.password(fresh -> fb.password(), false),
                fb.tls().orElse(TlsMode.STARTTLS)), helo))
                .orElse(null);
    }

    /** The SMTP account as an addr-spec, when SMTP_USERNAME is one (it is not for SES or SendGrid). */
    public Optional<String> account() {
        return account;
    }

    /** Sends one message by the deadline or throws the {@link SmtpFailure} that decided it. */
    public Delivery send(Message n, String messageId, Instant deadline) {
        if (primary == null) {
            Log.infof("SMTP_HOST is not set: not sending %s to ***@%s from %s (%d chars text, %d chars html)",
                    n.messageType(), n.toDomain(), n.fromAddress(), length(n.text()), length(n.html()));
            return new Delivery(messageId, 0, "none (dev mode log)");
        }
        Attempts attempts = new Attempts(deadline);
        try {
            return deliver(primary, n, messageId, attempts);
        } catch (SmtpUnavailable e) {
            if (fallback == null || !e.safeToRetry() || attempts.remaining().compareTo(MIN_ATTEMPT) < 0) {
                throw e.afterAttempts(attempts.count);
            }
            Log.warnf("primary SMTP server failed before data (%s); trying the fallback", e.getMessage());
            return deliver(fallback, n, messageId, attempts);
        }
    }

    /** The priming calls' own guard, made once: a second guard of the same name would be refused. */
    private io.smallrye.faulttolerance.api.Guard primingGuard;

    /**
     * Builds and MIME-encodes {@code n} exactly as a send would, and passes through a guard like the
     * servers' own, without connecting: their code is loaded before a SnapStart snapshot ({@code Primer}).
     * Called at init and in the beforeCheckpoint hook only, one at a time.
     */
    public int prime(Message n, String messageId) throws Exception {
        String mime = new MailEncoder(message(n, n.fromAddress(), messageId), "relay.invalid").encode();
        // A guard of its own (its name is not a server's), so no breaker counts this call.
        if (primingGuard == null) {
            primingGuard = SmtpRoute.guard("priming", policy);
        }
        return primingGuard.call(mime::length, Integer.class);
    }

    /**
     * Before a SnapStart snapshot: sends {@code n} with the primary server's settings, but to a
     * server of the relay's own on loopback with a throwaway certificate and password, so the first
     * real send after a restore runs compiled code ({@link SmtpRehearsal}). No secret is read.
     */
    public void rehearse(Message n, String messageId, int mails) throws Exception {
        if (primary != null) {
            primary.rehearse(message(n, n.fromAddress(), messageId), Duration.ofSeconds(10), mails);
        }
    }

    /**
     * From, To and Subject are written by {@link HeaderEncoder} and replace the mail client's own;
     * the envelope (MAIL FROM, RCPT TO) still comes from the bounce and To addresses.
     */
    private static MailMessage message(Message n, String bounce, String messageId) {
        return new Handover()
                .setFrom(n.fromAddress())
                .setBounceAddress(bounce)
                .setTo(n.toAddress())
                .setText(body(n.text()))
                .setHtml(body(n.html()))
                .addHeader("From", HeaderEncoder.mailbox(n.fromName(), n.fromAddress()))
                .addHeader("To", HeaderEncoder.mailbox(null, n.toAddress()))
                .addHeader("Subject", HeaderEncoder.unstructured("Subject", n.subject()))
                .addHeader("Message-ID", messageId);
    }

    /** Line ends as LF, which the mail client writes as CRLF: a CR of Auth0's CRLF would otherwise stay, as =0D. */
    private static String body(String text) {
        return text == null || text.isEmpty() ? null : text.replace("\r\n", "\n").replace('\r', '\n');
    }

    private Delivery deliver(SmtpRoute route, Message n, String messageId, Attempts attempts) {
        String bounce = route.account.orElse(n.fromAddress());
        try {
            route.guard.call(() -> attempt(route, () -> (Handover) message(n, bounce, messageId), attempts),
                    MailResult.class);
            return new Delivery(messageId, attempts.count, route.name);
        } catch (SmtpAuthFailed e) {
            // Refused by the server (not by a token endpoint): worth one more login only with a new
            // secret, a password rotated in Secrets Manager or a freshly fetched token.
            // A token fetched for this very request, refused: a configuration problem, not a stale token.
            if (e.reply() == null || !route.renewable() || attempts.freshPassword || route.renewedSince(attempts.secretSince)
                    || !refreshed(route, attempts)) {
                throw e.afterAttempts(attempts.count);
            }
            Log.warnf("the %s SMTP server refused the login; signing in once more with the secret read again", route.name);
            attempts.freshPassword = true;
            return deliver(route, n, messageId, attempts);
        } catch (BudgetSpent e) {
            throw e.last.afterAttempts(attempts.count);
        } catch (CircuitBreakerOpenException e) {
            // The last failure's words stay in the answer, so the Auth0 tenant log shows the cause, not only the pause.
            SmtpFailure last = route.lastFailure;
            throw new SmtpUnavailable("the " + route.name + " SMTP server failed repeatedly; the relay pauses it"
                    + (last == null ? "" : ". Last failure: " + last.getMessage()), last == null ? null : last.reply(),
                    Phase.BEFORE_DATA).afterAttempts(attempts.count);
        } catch (SmtpFailure e) {
            throw e.afterAttempts(attempts.count);
        } catch (RuntimeException e) {
            throw e; // not the conversation's: a secret that cannot be read passes through as it is
        } catch (Exception e) {
            throw SmtpErrors.classify(e, true).afterAttempts(attempts.count);
        }
    }

    /**
     * One attempt: a connection and its message, bounded first by the route's session timeout (until
     * the message is handed over) and then by the deadline. A server that does not offer the AUTH
     * mechanism in use (no login was tried) gets the next one at once, within the same attempt.
     */
    private MailResult attempt(SmtpRoute route, java.util.function.Supplier<Handover> messages, Attempts attempts) {
        attempts.count++;
        // After a restore: the warm-up's connection is this send's own; its refused login or its
        // silence ends this attempt as if it had been the send's (no second login at this server).
        SmtpFailure early = route.awaitWarmUp(attempts.requireTime(), since -> attempts.secretSince = since);
        if (early != null) {
            throw attempts.last = route.lastFailure = early;
        }
        for (int stale = 0;;) {
            attempts.requireTime();
            MailClient client;
            try {
                client = route.client(attempts.deadline);
            } catch (dev.mailrelay.oauth.TokenFailure e) {
                throw attempts.last = route.lastFailure = SmtpErrors.classify(e, false);
            }
            Duration left = attempts.requireTime(); // after a token fetch, which took its share
            boolean reused = route.reuses(client);
            Handover message = messages.get();
            CompletableFuture<MailResult> sending = client.sendMail(message).subscribeAsCompletionStage();
            try {
                MailResult result = await(sending, message, reused ? route.reuseTimeout : route.sessionTimeout, left);
                route.delivered(client);
                return result;
            } catch (TimeoutException e) {
                route.discard(client);
                if (reused && stale++ == 0 && message.abandon()) {
                    // The kept-alive connection never answered its RSET: the server dropped it as the
                    // client picked it up (Vert.x mail 4.5 then waits for a reply that cannot come).
                    // Nothing was sent; a new connection is part of the same attempt.
                    Log.debugf("the kept-alive connection to the %s SMTP server did not answer; opening a new one", route.name);
                    continue;
                }
                // Not repeated at this server: the silence may have been a login being refused slowly
                // (Dovecot's auth_failure_delay), and a second login risks locking the account.
                throw attempts.last = message.abandon()
                        ? new SmtpUnavailable("the SMTP server did not get as far as taking the message in time "
                                + "(connect, greeting, EHLO, STARTTLS or AUTH); nothing was sent", null, Phase.BEFORE_DATA, false)
                        : new SmtpTimeout("the SMTP server did not finish within the time budget; "
                                + "the message may or may not have been accepted");
            } catch (ExecutionException e) {
                boolean nothingSent = message.abandon();
                if (nothingSent && SmtpErrors.mechanismNotOffered(e.getCause()) && route.useNextMechanism(client)) {
                    continue;
                }
                route.discard(client);
                SmtpFailure failure = route.lastFailure = SmtpErrors.classify(e.getCause(), !nothingSent, route.oauth());
                Log.debugf("attempt %d on %s failed: %s", attempts.count, route.name, failure.getMessage());
                throw attempts.last = failure;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                route.discard(client);
                throw message.abandon() ? new SmtpUnavailable("interrupted before the message was sent", null, Phase.BEFORE_DATA)
                        : new SmtpTimeout("interrupted; the message may or may not have been accepted");
            }
        }
    }

    /** Right after a SnapStart restore, before {@link #warmUp} runs: the first send will wait for its connection. */
    public void prepareWarmUp() {
        if (primary != null) {
            primary.prepareWarmUp();
        }
    }

    /**
     * After a SnapStart restore, off the request path: reads the primary server's secret (or fetches
     * its token) and opens a signed-in connection that the first send reuses. Never throws.
     */
    public void warmUp(Instant deadline) {
        if (primary == null) {
            return;
        }
        try {
            primary.warmUp(deadline);
        } catch (RuntimeException e) {
            Log.debugf("no SMTP connection opened after the restore: %s", e.getMessage());
        }
    }

    /** Waits for the session (up to the message's hand-over), then for the rest, within {@code left}. */
    private static MailResult await(CompletableFuture<MailResult> sending, Handover message, Duration session, Duration left)
            throws TimeoutException, ExecutionException, InterruptedException {
        long until = System.nanoTime() + left.toNanos();
        try {
            return sending.get(Math.min(session.toNanos(), left.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (message.abandon()) {
                throw e; // still before MAIL FROM: abandoned, so it never will be sent
            }
            return sending.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    /** Reads the route's secret again; true when it changed. A token endpoint's failure ends the request with its words. */
    private static boolean refreshed(SmtpRoute route, Attempts attempts) {
        try {
            return route.refreshPassword(attempts.deadline);
        } catch (dev.mailrelay.oauth.TokenFailure e) {
            throw SmtpErrors.classify(e, false).afterAttempts(attempts.count);
        }
    }

    /** Closes the open SMTP connections; the next message opens new ones. */
    public void disconnect() {
        for (SmtpRoute route : new SmtpRoute[] { primary, fallback }) {
            if (route != null) {
                route.disconnect();
            }
        }
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }
}
