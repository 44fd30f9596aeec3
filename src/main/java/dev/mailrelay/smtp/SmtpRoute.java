package dev.mailrelay.smtp;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.quarkus.logging.Log;
import io.smallrye.faulttolerance.api.Guard;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.mail.MailClient;

import dev.mailrelay.smtp.SmtpConfig.TlsMode;
import dev.mailrelay.smtp.SmtpFailure.SmtpTimeout;
import dev.mailrelay.smtp.SmtpFailure.SmtpUnavailable;


/**
 * One SMTP server as {@link SmtpSender} uses it: a Vert.x mail client kept across requests, so a
 * warm Lambda reuses its open, authenticated connection for SMTP_KEEP_ALIVE (the client checks it
 * with RSET, and closes it with QUIT when the keep-alive ends); replaced after any failure, since a
 * failed conversation can leave the client's pool in a state that stalls the next send; the one
 * AUTH mechanism it signs in with; plus the server's guard: retries before data and a circuit breaker.
 */
final class SmtpRoute {

    /** Where and as whom to connect; the primary and the fallback server each have one. */
    record MailAccount(String host, int port, Optional<String> username, SignIn signIn, TlsMode tls) {
    }

    /**
     * The AUTH mechanisms the relay signs in with, by preference: one per connection, the first the
     * server offers, so a wrong password costs one refused login, not one per mechanism (a lockout
     * risk). Diagnostics uses the same choice.
     */
    static final java.util.List<String> MECHANISMS = java.util.List.of("PLAIN", "LOGIN");
    /** A host name with at least one dot (RFC 5321 EHLO wants the client's FQDN), or an address literal. */
    private static final java.util.regex.Pattern FQDN = java.util.regex.Pattern.compile(
            "(?i)(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?|\\[[0-9a-f:.]+]");
    /** TLS versions for every SMTP connection, whatever the JVM-wide setting (the Lambda runtime client re-enables 1.0/1.1). */
    static final java.util.Set<String> TLS_PROTOCOLS = java.util.Set.of("TLSv1.3", "TLSv1.2");

    /** Closing waits this long: after a failure the client still says QUIT, and Netty reports a close under it. */
    private static final Duration CLOSE_DELAY = Duration.ofSeconds(2);

    final String name;
    final Guard guard;
    final Optional<String> account;
    /** The last failure of a send on this route, quoted while its circuit breaker is open. */
    volatile dev.mailrelay.smtp.SmtpFailure lastFailure;
    private final Vertx vertx;
    private final MailConfig config;
    private final SignIn signIn;
    private final java.util.List<String> mechanisms;
    private final long keepAliveNanos;
    /** How long a send on a new connection may take to reach its message (connect, then greeting, EHLO, STARTTLS, AUTH). */
    final Duration sessionTimeout;
    /** How long a send on a kept-alive connection may take to reach its message (the RSET check). */
    final Duration reuseTimeout;
    /** The client that has delivered at least once, so its next send reuses a kept-alive connection. */
    private volatile MailClient proven;
    private MailClient client;
    private long lastUsedNanos;
    /** Index into {@link #MECHANISMS}: moves on only when the server does not offer this one (no login was tried). */
    private int mechanism;
    private String passwordInUse;
    /** The connection a restore's warm-up is opening, taken by the first send. */
    private final java.util.concurrent.atomic.AtomicReference<WarmUp> warming = new java.util.concurrent.atomic.AtomicReference<>();

    SmtpRoute(String name, Vertx vertx, SendPolicy policy, SmtpConfig smtp, MailAccount mail, String heloName) {
        this.name = name;
        this.vertx = vertx;
        this.config = mailConfig(mail, smtp).setOwnHostname(heloName);
        this.sessionTimeout = smtp.connectTimeout().plus(smtp.commandTimeout());
        this.reuseTimeout = smtp.commandTimeout();
        this.signIn = mail.signIn();
        this.mechanisms = mail.signIn().mechanisms();
        this.account = Addresses.envelopeAccount(mail.username());
        this.keepAliveNanos = smtp.keepAlive().toNanos();
        this.guard = guard(name, policy);
    }

    /** Retry within the time budget, then a circuit breaker per server; only failures before DATA are retried. */
    static Guard guard(String name, SendPolicy policy) {
        return Guard.create()
                .withDescription("smtp-" + name)
                .withRetry()
                    .maxRetries(Math.max(0, policy.maxAttempts() - 1))
                    .delay(policy.retryDelay().toMillis(), ChronoUnit.MILLIS)
                    .jitter(policy.retryJitter().toMillis(), ChronoUnit.MILLIS)
                    .maxDuration(policy.timeBudget().toMillis() + 1, ChronoUnit.MILLIS)
                    .whenException(t -> t instanceof SmtpUnavailable u && u.repeatHere())
                    .done()
                .withCircuitBreaker()
                    .name("smtp-" + name)
                    .requestVolumeThreshold(policy.breakerFailures())
                    .failureRatio(1.0)
                    .successThreshold(1)
                    .delay(policy.breakerDelay().toMillis(), ChronoUnit.MILLIS)
                    .when(t -> t instanceof SmtpUnavailable || t instanceof SmtpTimeout)
                    .onStateChange(state -> Log.warnf("circuit breaker of the %s SMTP server is now %s", name, state))
                    .done()
                .build();
    }

    /**
     * The name the relay gives in EHLO: SMTP_HELO_NAME, else the domain of the first
     * RELAY_ALLOWED_FROM entry (the sending domain), else that of SMTP_USERNAME. Spam filters score
     * "localhost" or a name without a dot (SpamAssassin HELO_LOCALHOST, FSL_HELO_NON_FQDN_1).
     *
     * @throws IllegalArgumentException when SMTP_HELO_NAME is set but is no fully qualified name
     */
    static String heloName(Optional<String> configured, java.util.List<String> allowedFrom, Optional<String> username) {
        if (configured.isPresent()) {
            String name = configured.get().strip();
            if (!FQDN.matcher(name).matches()) {
                throw new IllegalArgumentException("SMTP_HELO_NAME must be a fully qualified host name (mail.example.com) "
                        + "or an address literal ([192.0.2.1])");
            }
            return name;
        }
        java.util.stream.Stream<String> candidates = java.util.stream.Stream.concat(allowedFrom.stream(),
                username.filter(Addresses::isAddress).stream());
        return candidates.filter(entry -> entry.contains("@")).map(Addresses::domainOf)
                .map(domain -> {
                    try {
                        return java.net.IDN.toASCII(domain, java.net.IDN.ALLOW_UNASSIGNED);
                    } catch (IllegalArgumentException notADomain) {
                        return "";
                    }
                })
                .filter(domain -> FQDN.matcher(domain).matches())
                .findFirst().orElse("localhost");
    }

    /**
     * The client to send with, made on first use (after a SnapStart restore, since the password may
     * come from Secrets Manager) and after {@link #discard}, with the password of the last
     * {@link #refreshPassword}.
     */
    synchronized MailClient client(java.time.Instant deadline) {
        long now = System.nanoTime();
        if (client != null && now - lastUsedNanos > keepAliveNanos) {
            // Idle too long (or frozen with the Lambda): the server may have closed the connection,
            // and the client stalls when it finds its pooled connection closed (Vert.x 4.5.26),
            // until the deadline. Start afresh instead; real servers keep idle connections far longer.
            discard(client);
        }
        lastUsedNanos = now;
        if (config.getUsername() != null) {
            // A renewed token (or a password re-read after its cache time) needs a client that signs in with it.
            String current = signIn.secret(false, deadline);
            if (client != null && !current.equals(passwordInUse)) {
                discard(client);
            }
            passwordInUse = current;
        }
        if (client == null) {
            // A copy each time: creating a client rewrites the config's host name verification setting.
            MailConfig copy = new MailConfig(config);
            if (copy.getUsername() != null) {
                copy.setPassword(passwordInUse).setAuthMethods(mechanisms.get(mechanism));
            }
            client = MailClient.create(vertx, copy);
            ConnectionHandlers.install(client.getDelegate());
        }
        return client;
    }

    /** What {@link #warmUp} ended with: the client whose pool holds the connection (null: none), or its failure. */
    private record Opened(MailClient client, Throwable failure) {
    }

    /** One warm-up: when it started, the client it opens a connection with (once known), and how that ended. */
    private static final class WarmUp {
        final long startedNanos = System.nanoTime();
        final java.time.Instant started = java.time.Instant.now();
        final java.util.concurrent.CompletableFuture<Opened> outcome = new java.util.concurrent.CompletableFuture<>();
        volatile MailClient opening;
    }

    /**
     * On the restore hook's own thread, before the warm-up's thread starts and before any event can
     * arrive: from now on the first send waits for the warm-up's connection instead of opening one.
     */
    void prepareWarmUp() {
        if (keepAliveNanos != 0) {
            warming.set(new WarmUp());
        }
    }

    /**
     * After a SnapStart restore, off the request path: reads the secret (or fetches the token)
     * outside this route's lock, then opens a signed-in connection in the client's pool without
     * waiting for it. The first send takes it over ({@link #awaitWarmUp}).
     */
    void warmUp(java.time.Instant deadline) {
        WarmUp warmUp = warming.get();
        if (warmUp == null) {
            return; // SMTP_KEEP_ALIVE=0s, or a send took over already
        }
        MailClient opening;
        try {
            if (config.getUsername() != null) {
                signIn.secret(false, deadline); // cached for client(): no network call under the lock
            }
            opening = client(deadline);
        } catch (RuntimeException e) {
            warmUp.outcome.complete(new Opened(null, null)); // the send reads the secret itself, with its own answer
            throw e;
        }
        warmUp.opening = opening;
        PooledConnection.open(opening.getDelegate(), config.getOwnHostname(), vertx.getDelegate().getOrCreateContext())
                .whenComplete((ok, failure) -> {
                    Log.debugf("the %s SMTP connection after the restore: %s in %d ms", name, failure == null ? "signed in" : "failed",
                            (System.nanoTime() - warmUp.startedNanos) / 1_000_000);
                    if (failure == null) {
                        proven = opening; // its connection is kept alive: the first send reuses it
                    }
                    warmUp.outcome.complete(new Opened(opening, failure));
                });
    }

    /**
     * For the first send after a restore: waits for the warm-up's connection as long as a new one
     * would have been given (the session timeout, counted from the warm-up's start, within
     * {@code left}). Returns the failure the send must end with instead of signing in again: a
     * login refused there (the send's one login; {@code refusedSince} receives when its secret was
     * obtained), or a server that stayed silent (its sign-in may still be a slow refusal). Null: go on,
     * with the warm-up's connection if it is ready, or with one of the send's own.
     */
    SmtpFailure awaitWarmUp(Duration left, java.util.function.Consumer<java.time.Instant> refusedSince) {
        WarmUp warmUp = warming.getAndSet(null);
        if (warmUp == null) {
            return null;
        }
        long untilNanos = Math.min(warmUp.startedNanos + sessionTimeout.toNanos(), System.nanoTime() + left.toNanos());
        Opened opened;
        try {
            opened = warmUp.outcome.get(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException silent) {
            MailClient opening = warmUp.opening;
            if (opening == null) {
                return null; // still reading the secret: the send reads it too (one read at a time) and connects itself
            }
            discard(opening);
            return new SmtpFailure.SmtpUnavailable("the SMTP server did not get as far as taking the message in time "
                    + "(connect, greeting, EHLO, STARTTLS or AUTH); nothing was sent", null, SmtpFailure.Phase.BEFORE_DATA, false);
        } catch (java.util.concurrent.ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        if (opened.failure() == null) {
            synchronized (this) {
                if (client == opened.client()) {
                    lastUsedNanos = System.nanoTime(); // idle from now, not from when the warm-up began
                }
            }
            return null;
        }
        Throwable failure = opened.failure();
        Log.debugf("the connection opened after the restore failed: %s", failure.getMessage());
        if (SmtpErrors.mechanismNotOffered(failure) && useNextMechanism(opened.client())) {
            return null;
        }
        discard(opened.client());
        SmtpFailure classified = SmtpErrors.classify(failure, false, oauth());
        if (classified instanceof SmtpFailure.SmtpAuthFailed) {
            refusedSince.accept(warmUp.started);
            return classified;
        }
        return null;
    }

    /** Sends {@code message} with this route's settings to a server of its own on loopback ({@link SmtpRehearsal}). */
    void rehearse(io.vertx.ext.mail.MailMessage message, Duration limit, int mails) throws Exception {
        SmtpRehearsal.run(vertx, config, message, limit, mails);
    }

    /**
     * Reads the password again (a rotation in Secrets Manager) and answers whether it changed: only
     * then is a refused login worth another try.
     */
    synchronized boolean refreshPassword(java.time.Instant deadline) {
        String fresh = signIn.secret(true, deadline);
        boolean changed = !fresh.equals(passwordInUse);
        passwordInUse = fresh;
        return changed;
    }

    /**
     * After a send failed because the server does not offer the mechanism in use (it said so in
     * EHLO, and no AUTH was sent): moves on to the next one and drops the client; false when none is left.
     */
    synchronized boolean useNextMechanism(MailClient failed) {
        if (client != failed) {
            return true; // a concurrent send moved on already
        }
        if (mechanism + 1 >= mechanisms.size()) {
            return false;
        }
        mechanism++;
        discard(failed);
        return true;
    }

    /** Drops the client and its connection, and forgets the mechanism and password (tests). */
    synchronized void disconnect() {
        warming.set(null);
        if (client != null) {
            discard(client);
        }
        mechanism = 0;
        passwordInUse = null;
        signIn.forget();
    }

    /** Whether the secret in use was obtained at or after {@code instant} (a token fetched during this request). */
    boolean renewedSince(java.time.Instant instant) {
        return signIn.renewedSince(instant);
    }

    /** Whether reading the secret again can give a new one (Secrets Manager, a token endpoint). */
    boolean renewable() {
        return signIn.renewable();
    }

    /** Whether this route signs in with OAuth access tokens. */
    boolean oauth() {
        return signIn.oauth();
    }

    /** Notes that {@code client} delivered: its connection is kept alive for the next send. */
    void delivered(MailClient client) {
        proven = client;
    }

    /** Whether a send with {@code client} reuses a kept-alive connection (rather than opening one). */
    boolean reuses(MailClient client) {
        return client == proven;
    }

    /** Drops a client that failed; the next send gets a new one. */
    synchronized void discard(MailClient failed) {
        if (client == failed) {
            client = null;
        }
        vertx.setTimer(CLOSE_DELAY.toMillis(), timer -> failed.closeAndForget());
    }

    private static MailConfig mailConfig(MailAccount account, SmtpConfig smtp) {
        MailConfig config = new MailConfig()
                .setHostname(account.host())
                .setPort(account.port())
                .setConnectTimeout((int) smtp.connectTimeout().toMillis())
                .setSslHandshakeTimeout(smtp.tlsTimeout().toMillis())
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
                // A backstop only: the socket's idle timer cannot tell a pooled connection from a silent
                // server, so silence is bounded by SmtpSender (sessionTimeout, then the deadline) and
                // the idle timer must not cut a connection the keep-alive still holds.
                .setIdleTimeout((int) smtp.keepAlive().plus(smtp.commandTimeout()).toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                // Host name verification is left unset on purpose: the mail client then verifies
                // ("HTTPS") whenever TLS is on, while an explicit value is replaced by "" in 4.5.
                .setTrustAll(false)
                .setEnabledSecureTransportProtocols(TLS_PROTOCOLS)
                // The client's pool cleaner closes a connection idle for SMTP_KEEP_ALIVE, with QUIT;
                // 0 closes each one after its message.
                .setKeepAlive(!smtp.keepAlive().isZero())
                .setKeepAliveTimeout((int) Math.max(1, smtp.keepAlive().toMillis()))
                .setKeepAliveTimeoutUnit(TimeUnit.MILLISECONDS)
                .setPoolCleanerPeriod(500)
                .setPoolCleanerPeriodUnit(TimeUnit.MILLISECONDS)
                .setMaxPoolSize(4)
                // MAIL, RCPT and DATA in one write where the server offers PIPELINING (RFC 2920):
                // one round trip instead of three. The RSET check of a reused connection still
                // waits for its own reply first.
                .setPipelining(true)
                .setMultiPartOnly(false);
        switch (account.tls()) {
            case STARTTLS -> config.setStarttls(StartTLSOptions.REQUIRED).setSsl(false);
            case IMPLICIT -> config.setStarttls(StartTLSOptions.DISABLED).setSsl(true);
            case NONE -> config.setStarttls(StartTLSOptions.DISABLED).setSsl(false);
        }
        account.username().ifPresentOrElse(
                user -> config.setLogin(LoginOption.REQUIRED).setUsername(user),
                () -> config.setLogin(LoginOption.DISABLED));
        smtp.caFile().ifPresent(file -> config.setTrustOptions(TrustOptions.wrap(TrustStores.withExtra(file))));
        return config;
    }
}
