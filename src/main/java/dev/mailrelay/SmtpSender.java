package dev.mailrelay;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

import io.quarkus.logging.Log;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.TimeoutException;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.MailResult;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.mail.MailClient;

import dev.mailrelay.RelayConfig.TlsMode;
import dev.mailrelay.RelayException.SmtpAuthFailed;
import dev.mailrelay.RelayException.SmtpFailure;
import dev.mailrelay.RelayException.SmtpFailure.Phase;
import dev.mailrelay.RelayException.SmtpTimeout;
import dev.mailrelay.RelayException.SmtpUnavailable;

/**
 * The only class that talks to SMTP servers, and the owner of the fault-tolerance policy: per
 * server, a retry of failures before the message data was sent (jittered, inside the request's
 * time budget) behind a circuit breaker; then, for such failures only, the optional fallback
 * server. Nothing is ever sent again once the data may have reached a server.
 * <p>
 * It builds Vert.x mail clients (the client quarkus-mailer is made of) from the SMTP_* settings,
 * because their meaning (public CAs plus SMTP_CA_FILE, host names always verified, one silence
 * limit for every reply) is the product's contract. Without SMTP_HOST (dev mode only, see
 * StartupCheck) it logs what it would have sent.
 */
@Singleton
public class SmtpSender {

    /** No attempt starts with less time than this left: it could only end in a timeout. */
    private static final Duration MIN_ATTEMPT = Duration.ofMillis(500);
    private static final Duration CLOSE_DELAY = Duration.ofSeconds(2);

    /** A delivered message: its Message-ID, the attempts it took, and which server accepted it. */
    record Delivery(String messageId, int attempts, String server) {
    }

    /** One SMTP server: how to reach it, its guard (retry and circuit breaker), its account and password. */
    private record Route(String name, Vertx vertx, MailConfig config, Guard guard, Optional<Address> account,
            Function<Boolean, Optional<String>> password, boolean passwordRotates) {
    }

    /** The per-request count of attempts, their last failure, and the deadline they share. */
    private static final class Attempts {
        final Instant deadline;
        int count;
        SmtpFailure last;
        boolean freshPassword;

        Attempts(Instant deadline) {
            this.deadline = deadline;
        }

        Duration remaining() {
            return Duration.between(Instant.now(), deadline);
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

    private final Route primary;
    private final Route fallback;
    private final Optional<Address> account;

    SmtpSender(Vertx vertx, RelayConfig relay, RelayConfig.Smtp smtp, Secrets secrets) {
        this.account = smtp.username().flatMap(u -> Address.parse(u, false));
        this.primary = smtp.host().map(host -> route("primary", vertx, relay, smtp,
                new MailAccount(host, smtp.port(), smtp.username(), secrets::smtpPassword, secrets.smtpPasswordRotates(),
                        smtp.tls()))).orElse(null);
        RelayConfig.Fallback fb = smtp.fallback();
        this.fallback = fb.host().map(host -> route("fallback", vertx, relay, smtp, new MailAccount(host,
                fb.port().orElse(587), fb.username(), fresh -> fb.password(), false, fb.tls().orElse(TlsMode.STARTTLS))))
                .orElse(null);
    }

    /** The SMTP account as an address, when SMTP_USERNAME is one (it is not for SES or SendGrid). */
    Optional<Address> account() {
        return account;
    }

    /** Sends one message by the deadline or throws the {@link SmtpFailure} that decided it. */
    Delivery send(Notification n, Address from, Address to, String messageId, Instant deadline) {
        if (primary == null) {
            Log.infof("SMTP_HOST is not set: not sending %s to ***@%s from %s (%d chars text, %d chars html)",
                    n.messageType(), to.domain(), from.addrSpec(), length(n.text()), length(n.html()));
            return new Delivery(messageId, 0, "none (dev mode log)");
        }
        Attempts attempts = new Attempts(deadline);
        try {
            return deliver(primary, n, from, to, messageId, attempts);
        } catch (SmtpUnavailable e) {
            if (fallback == null || !e.safeToRetry() || attempts.remaining().compareTo(MIN_ATTEMPT) < 0) {
                throw e.afterAttempts(attempts.count);
            }
            Log.warnf("primary SMTP server failed before data (%s); trying the fallback", e.getMessage());
            return deliver(fallback, n, from, to, messageId, attempts);
        }
    }

    private Delivery deliver(Route route, Notification n, Address from, Address to, String messageId, Attempts attempts) {
        MailMessage message = new MailMessage()
                .setFrom(from.header())
                .setBounceAddress(route.account().orElse(from).addrSpec())
                .setTo(to.addrSpec())
                .setSubject(n.subject())
                .setText(n.text() == null || n.text().isEmpty() ? null : n.text())
                .setHtml(n.html() == null || n.html().isEmpty() ? null : n.html())
                .addHeader("Message-ID", messageId);
        try {
            route.guard().call(() -> attempt(route, message, attempts), MailResult.class);
            return new Delivery(messageId, attempts.count, route.name());
        } catch (SmtpAuthFailed e) {
            if (!route.passwordRotates() || attempts.freshPassword) {
                throw e.afterAttempts(attempts.count);
            }
            // The password may have been rotated in Secrets Manager since it was cached: read it again, try once more.
            Log.warnf("the %s SMTP server refused the login; reading the password again in case it was rotated", route.name());
            attempts.freshPassword = true;
            return deliver(route, n, from, to, messageId, attempts);
        } catch (BudgetSpent e) {
            throw e.last.afterAttempts(attempts.count);
        } catch (CircuitBreakerOpenException e) {
            throw new SmtpUnavailable("the " + route.name() + " SMTP server failed repeatedly; the relay pauses it",
                    null, Phase.BEFORE_DATA).afterAttempts(attempts.count);
        } catch (SmtpFailure e) {
            throw e.afterAttempts(attempts.count);
        } catch (RelayException e) {
            throw e; // a secret that cannot be read: no SMTP conversation took place
        } catch (Exception e) {
            throw SmtpErrors.classify(e).afterAttempts(attempts.count);
        }
    }

    private MailResult attempt(Route route, MailMessage message, Attempts attempts) {
        Duration left = attempts.remaining();
        if (left.compareTo(MIN_ATTEMPT) < 0) {
            throw new BudgetSpent(attempts.last != null ? attempts.last
                    : new SmtpTimeout("the time budget was spent before the SMTP server could be tried"));
        }
        attempts.count++;
        // A client per attempt: after some failures the Vert.x pool keeps a slot taken, and a
        // later send waits for it until the budget runs out (seen with 4.5.26). And a copy of the
        // config each time: creating a client rewrites its host name verification setting.
        MailConfig config = new MailConfig(route.config());
        if (config.getUsername() != null) {
            config.setPassword(route.password().apply(attempts.freshPassword).orElse(""));
        }
        MailClient client = MailClient.create(route.vertx(), config);
        try {
            return client.sendMail(message).await().atMost(left);
        } catch (TimeoutException e) {
            throw attempts.last = new SmtpTimeout("the SMTP server did not finish within the time budget; "
                    + "the message may or may not have been accepted");
        } catch (RuntimeException e) {
            SmtpFailure failure = SmtpErrors.classify(e);
            Log.debugf("attempt %d on %s failed: %s", attempts.count, route.name(), failure.getMessage());
            throw attempts.last = failure;
        } finally {
            // Closed a little later: after a failure the client still says QUIT over TLS, and
            // closing under it makes Netty report a closed SSL engine as a dropped error.
            route.vertx().setTimer(CLOSE_DELAY.toMillis(), timer -> client.closeAndForget());
        }
    }

    private static Route route(String name, Vertx vertx, RelayConfig relay, RelayConfig.Smtp smtp, MailAccount account) {
        Guard guard = Guard.create()
                .withDescription("smtp-" + name)
                .withRetry()
                    .maxRetries(Math.max(0, relay.retry().maxAttempts() - 1))
                    .delay(relay.retry().delay().toMillis(), ChronoUnit.MILLIS)
                    .jitter(relay.retry().jitter().toMillis(), ChronoUnit.MILLIS)
                    .maxDuration(relay.timeBudget().toMillis() + 1, ChronoUnit.MILLIS)
                    .whenException(t -> t instanceof SmtpUnavailable u && u.safeToRetry())
                    .done()
                .withCircuitBreaker()
                    .name("smtp-" + name)
                    .requestVolumeThreshold(relay.breaker().failures())
                    .failureRatio(1.0)
                    .successThreshold(1)
                    .delay(relay.breaker().delay().toMillis(), ChronoUnit.MILLIS)
                    .when(t -> t instanceof SmtpUnavailable || t instanceof SmtpTimeout)
                    .onStateChange(state -> Log.warnf("circuit breaker of the %s SMTP server is now %s", name, state))
                    .done()
                .build();
        return new Route(name, vertx, mailConfig(account, smtp), guard, account.username()
                .flatMap(u -> Address.parse(u, false)), account.password(), account.passwordRotates());
    }

    /** Where and as whom to connect; the primary and the fallback server each have one. */
    private record MailAccount(String host, int port, Optional<String> username, Function<Boolean, Optional<String>> password,
            boolean passwordRotates, TlsMode tls) {
    }

    private static MailConfig mailConfig(MailAccount account, RelayConfig.Smtp smtp) {
        MailConfig config = new MailConfig()
                .setHostname(account.host())
                .setPort(account.port())
                .setConnectTimeout((int) smtp.connectTimeout().toMillis())
                .setSslHandshakeTimeout(smtp.tlsTimeout().toMillis())
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
                .setIdleTimeout((int) smtp.commandTimeout().toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                // Host name verification is left unset on purpose: the mail client then verifies
                // ("HTTPS") whenever TLS is on, while an explicit value is replaced by "" in 4.5.
                .setTrustAll(false)
                .setKeepAlive(false)
                .setMultiPartOnly(false);
        switch (account.tls()) {
            case STARTTLS -> config.setStarttls(StartTLSOptions.REQUIRED).setSsl(false);
            case IMPLICIT -> config.setStarttls(StartTLSOptions.DISABLED).setSsl(true);
            case NONE -> config.setStarttls(StartTLSOptions.DISABLED).setSsl(false);
        }
        account.username().ifPresentOrElse(
                // The password is set per attempt: it may come from Secrets Manager, after start-up.
                user -> config.setLogin(LoginOption.REQUIRED).setAuthMethods("PLAIN LOGIN").setUsername(user),
                () -> config.setLogin(LoginOption.DISABLED));
        smtp.caFile().ifPresent(file -> config.setTrustOptions(TrustOptions.wrap(TrustStores.withExtra(file))));
        return config;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }
}
