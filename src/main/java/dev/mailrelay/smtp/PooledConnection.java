package dev.mailrelay.smtp;

import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.mail.MailClient;

/**
 * Opens one connection of a Vert.x mail client's pool (connect, greeting, EHLO, STARTTLS, EHLO,
 * AUTH) and leaves it idle in that pool, where the client's next send finds it. Vert.x mail 4.5
 * has no public call for this (5.x neither), so it goes through the package-private
 * {@code MailClientImpl.getConnectionPool()}, {@code SMTPConnectionPool.getConnection(..)} and
 * {@code SMTPConnection.returnToPool()}; when a library update renames them, {@link #open} fails
 * and the first send opens its own connection as before (RestoreWarmUpTest notices).
 */
final class PooledConnection {

    private PooledConnection() {
    }

    /** Completes when the connection is signed in and back in the pool; fails with the client's own failure. */
    static CompletableFuture<Void> open(MailClient client, String heloName, Context context) {
        CompletableFuture<Void> opened = new CompletableFuture<>();
        try {
            Object pool = call(client, "getConnectionPool");
            Method get = pool.getClass().getDeclaredMethod("getConnection", String.class, Context.class, Handler.class);
            get.setAccessible(true);
            Handler<AsyncResult<Object>> signedIn = result -> {
                if (result.failed()) {
                    opened.completeExceptionally(result.cause());
                    return;
                }
                try {
                    ((Future<?>) call(result.result(), "returnToPool")).onComplete(back -> opened.complete(null));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    opened.completeExceptionally(e);
                }
            };
            // From inside the context, as a send would: the client then connects on that same event
            // loop. Called from another thread, the socket lands on another loop, and the server's
            // greeting can arrive there before the connection listens for it: lost, and the
            // conversation never starts (seen in the benchmark, about one restore in ten).
            context.runOnContext(v -> {
                try {
                    get.invoke(pool, heloName, context, signedIn);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    opened.completeExceptionally(e);
                }
            });
        } catch (ReflectiveOperationException | RuntimeException e) {
            opened.completeExceptionally(new UnsupportedOperationException("this Vert.x mail version cannot open a pooled connection", e));
        }
        return opened;
    }

    /** Calls {@code target}'s no-argument method of that name, package-private or not (ConnectionHandlers uses it too). */
    static Object call(Object target, String method) throws ReflectiveOperationException {
        Method m = target.getClass().getDeclaredMethod(method);
        m.setAccessible(true);
        return m.invoke(target);
    }
}
