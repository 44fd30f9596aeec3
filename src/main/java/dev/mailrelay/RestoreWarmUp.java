package dev.mailrelay;

import java.time.Duration;
import java.time.Instant;

import jakarta.inject.Singleton;

import io.quarkus.logging.Log;

import dev.mailrelay.aws.Deadlines;
import dev.mailrelay.idempotency.IdempotencyStore;
import dev.mailrelay.smtp.SmtpSender;

/**
 * Right after a SnapStart restore, on a thread of its own, the work the first request would
 * otherwise start from nothing: the SMTP secret (or token) and a signed-in SMTP connection left
 * for the first send, the signing secret, and the idempotency store's credentials and TLS
 * connection. The restore hook only starts it (its time counts towards Lambda's 10 s restore
 * limit); the request takes over whatever is ready (the same secret read, the pooled connection)
 * and does the rest itself. Nothing of it exists before the snapshot, so no secret enters it.
 */
@Singleton
public class RestoreWarmUp {

    /** Bounds its AWS calls: a request waiting for the same secret waits no longer than this. */
    static final Duration BOUND = Duration.ofSeconds(3);

    private final SmtpSender sender;
    private final Secrets secrets;
    private final IdempotencyStore store;

    RestoreWarmUp(SmtpSender sender, Secrets secrets, IdempotencyStore store) {
        this.sender = sender;
        this.secrets = secrets;
        this.store = store;
    }

    /** Starts the warm-up and returns at once; never throws. */
    Thread start() {
        sender.prepareWarmUp(); // before any event can arrive: the first send waits for this connection
        Thread thread = new Thread(this::run, "restore-warm-up");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    void run() {
        long started = System.nanoTime();
        Instant deadline = Instant.now().plus(BOUND);
        try (Deadlines.Scope scope = Deadlines.until(deadline)) {
            // The SMTP connection first: its round trips go on while the AWS calls below are made.
            step("SMTP secret (sign-in started)", () -> sender.warmUp(deadline));
            step("signing secret", () -> secrets.relaySecrets(false));
            step("idempotency store", store::warmUp);
        }
        Log.debugf("warmed up after the restore in %d ms", (System.nanoTime() - started) / 1_000_000);
    }

    private static void step(String what, Runnable work) {
        long started = System.nanoTime();
        try {
            work.run();
            Log.debugf("%s ready after the restore in %d ms", what, (System.nanoTime() - started) / 1_000_000);
        } catch (RuntimeException e) { // the first request does it itself, with its own answer
            Log.debugf("warm-up of the %s after the restore failed: %s", what, e.getMessage());
        }
    }
}
