package dev.mailrelay.smtp;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.quarkus.logging.Log;
import io.smallrye.faulttolerance.api.Guard;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.mail.MailClient;

import dev.mailrelay.RelayConfig.TlsMode;
import dev.mailrelay.RelayException.SmtpTimeout;
import dev.mailrelay.RelayException.SmtpUnavailable;

import dev.mailrelay.Address;
import dev.mailrelay.RelayConfig;
import dev.mailrelay.Secrets;

/**
 * One SMTP server as {@link SmtpSender} uses it: a Vert.x mail client kept across requests, so a
 * warm Lambda reuses its open, authenticated connection (the client checks it with RSET and
 * reconnects when the server or a frozen Lambda dropped it); replaced after any failure, since a
 * failed conversation can leave the client's pool in a state that stalls the next send; plus the
 * server's guard: retries before data and a circuit breaker.
 */
final class SmtpRoute {

    /** Where and as whom to connect; the primary and the fallback server each have one. */
    record MailAccount(String host, int port, Optional<String> username, Function<Boolean, Optional<String>> password,
            boolean passwordRotates, TlsMode tls) {
    }

    /**
     * The AUTH mechanisms the relay signs in with, in the order the mail client tries them (its own
     * preference puts LOGIN before PLAIN); diagnostics uses the same choice.
     */
    static final java.util.List<String> MECHANISMS = java.util.List.of("LOGIN", "PLAIN");
    /** TLS versions for every SMTP connection, whatever the JVM-wide setting (the Lambda runtime client re-enables 1.0/1.1). */
    static final java.util.Set<String> TLS_PROTOCOLS = java.util.Set.of("TLSv1.3", "TLSv1.2");

    /** Closing waits this long: after a failure the client still says QUIT, and Netty reports a close under it. */
    private static final Duration CLOSE_DELAY = Duration.ofSeconds(2);

    final String name;
    final Guard guard;
    final Optional<Address> account;
    final boolean passwordRotates;
    private final Vertx vertx;
    private final MailConfig config;
    private final Function<Boolean, Optional<String>> password;
    private final long keepAliveNanos;
    private MailClient client;
    private long lastUsedNanos;

    SmtpRoute(String name, Vertx vertx, RelayConfig relay, RelayConfig.Smtp smtp, MailAccount mail) {
        this.name = name;
        this.vertx = vertx;
        this.config = mailConfig(mail, smtp);
        this.password = mail.password();
        this.passwordRotates = mail.passwordRotates();
        this.account = mail.username().flatMap(u -> Address.parse(u, false));
        this.keepAliveNanos = smtp.keepAlive().toNanos();
        this.guard = guard(name, relay);
    }

    /** Retry within the time budget, then a circuit breaker per server; only failures before DATA are retried. */
    static Guard guard(String name, RelayConfig relay) {
        return Guard.create()
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
    }

    /**
     * The client to send with, made on first use (after a SnapStart restore, since the password may
     * come from Secrets Manager) and after {@link #discard}; {@code freshPassword} re-reads it.
     */
    synchronized MailClient client(boolean freshPassword) {
        long now = System.nanoTime();
        if (client != null && now - lastUsedNanos > keepAliveNanos) {
            // Idle too long (or frozen with the Lambda): the server may have closed the connection,
            // and the client stalls when it finds its pooled connection closed (Vert.x 4.5.26),
            // until the deadline. Start afresh instead; real servers keep idle connections far longer.
            discard(client);
        }
        lastUsedNanos = now;
        if (client == null) {
            // A copy each time: creating a client rewrites the config's host name verification setting.
            MailConfig copy = new MailConfig(config);
            if (copy.getUsername() != null) {
                copy.setPassword(password.apply(freshPassword).orElse(""));
            }
            client = MailClient.create(vertx, copy);
        }
        return client;
    }

    /** Drops the client and its connection (tests; before a SnapStart snapshot there is none to drop). */
    synchronized void disconnect() {
        if (client != null) {
            discard(client);
        }
    }

    /** Drops a client that failed; the next send gets a new one. */
    synchronized void discard(MailClient failed) {
        if (client == failed) {
            client = null;
        }
        vertx.setTimer(CLOSE_DELAY.toMillis(), timer -> failed.closeAndForget());
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
                .setEnabledSecureTransportProtocols(TLS_PROTOCOLS)
                .setKeepAlive(true)
                // Longer than our own idle window, so the client never closes a connection under a send.
                .setKeepAliveTimeout((int) smtp.keepAlive().toSeconds() + 30)
                .setMaxPoolSize(4)
                // Without pipelining the client waits for the reply to its RSET liveness check on a
                // reused connection; pipelined, it writes the whole message onto a connection the
                // server already closed, and then stalls.
                .setPipelining(false)
                .setMultiPartOnly(false);
        switch (account.tls()) {
            case STARTTLS -> config.setStarttls(StartTLSOptions.REQUIRED).setSsl(false);
            case IMPLICIT -> config.setStarttls(StartTLSOptions.DISABLED).setSsl(true);
            case NONE -> config.setStarttls(StartTLSOptions.DISABLED).setSsl(false);
        }
        account.username().ifPresentOrElse(
                user -> config.setLogin(LoginOption.REQUIRED).setAuthMethods(String.join(" ", MECHANISMS)).setUsername(user),
                () -> config.setLogin(LoginOption.DISABLED));
        smtp.caFile().ifPresent(file -> config.setTrustOptions(TrustOptions.wrap(TrustStores.withExtra(file))));
        return config;
    }
}
