package dev.mailrelay.smtp;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;
import io.vertx.core.net.impl.VertxHandler;
import io.vertx.ext.mail.MailClient;

/**
 * Sends a message in a few TLS records instead of one per line. Vert.x mail writes the message
 * data a line at a time and waits for each line's write to complete before the next, so every
 * line became its own flush, TLS record and system call (a 150-line HTML mail: 150 of each). This
 * handler, between the mail client and TLS on each of its connections, accepts each write at once
 * and flushes when the client has stopped writing for one turn of the event loop, or before
 * the connection closes (a QUIT must not be overtaken by the close). The bytes on the wire are the
 * same; a write that fails still fails the connection: its error reaches the client through the
 * pipeline, since the write itself was already acknowledged.
 *
 * <p>Vert.x mail 4.5 has no hook for its connections, so {@link #install} replaces the pool's
 * private final {@code netClient} with one that adds the handler to each new connection; when an
 * update renames it, the client is left as it is and sends line by line, as before
 * (WriteBatchingTest counts the records and notices).
 */
final class WriteBatching extends ChannelOutboundHandlerAdapter {

    private static final String NAME = "relay-write-batching";

    private boolean flushPending;
    private boolean wroteSinceScheduled;
    private boolean failureReported;
    /** Each write was acknowledged already, so its failure is told to the connection (once), which fails the send. */
    private final ChannelFutureListener reportFailure = written -> {
        if (!written.isSuccess() && !failureReported) {
            failureReported = true;
            written.channel().pipeline().context(this).fireExceptionCaught(written.cause());
        }
    };

    /** Makes {@code client}'s future connections batch their writes, when this Vert.x mail version allows it. */
    static void install(MailClient client) {
        try {
            Method poolOf = client.getClass().getDeclaredMethod("getConnectionPool");
            poolOf.setAccessible(true);
            Object pool = poolOf.invoke(client);
            Field field = pool.getClass().getDeclaredField("netClient");
            field.setAccessible(true);
            NetClient original = (NetClient) field.get(pool);
            field.set(pool, batching(original));
        } catch (ReflectiveOperationException | RuntimeException e) {
            Log.warnf("the mail client writes a message line by line (a TLS record each): %s", e.toString());
        }
    }

    @SuppressWarnings("unchecked")
    private static NetClient batching(NetClient original) {
        return (NetClient) Proxy.newProxyInstance(WriteBatching.class.getClassLoader(), new Class<?>[] { NetClient.class },
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(original, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("connect") && result instanceof Future<?> connected) {
                        return ((Future<NetSocket>) connected).map(WriteBatching::addTo);
                    }
                    return result;
                });
    }

    /** The socket is returned whatever happens: a connection that cannot batch still sends. */
    private static NetSocket addTo(NetSocket socket) {
        try {
            if (socket instanceof NetSocketInternal internal) {
                ChannelPipeline pipeline = internal.channelHandlerContext().pipeline();
                ChannelHandlerContext vertx = pipeline.context(VertxHandler.class);
                if (vertx != null && pipeline.get(NAME) == null) {
                    pipeline.addBefore(vertx.name(), NAME, new WriteBatching());
                }
            }
        } catch (RuntimeException e) {
            Log.debugf("this SMTP connection writes line by line: %s", e.toString());
        }
        return socket;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        wroteSinceScheduled = true;
        ctx.write(msg, ctx.newPromise().addListener(reportFailure));
        // Accepted, but said so in a task of its own: the client writes its next line from this
        // completion, and done in place, a long message would recurse a frame per line (a 230 KB
        // mail overflowed the stack).
        ctx.executor().execute(promise::trySuccess);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (!flushPending) {
            flushPending = true;
            wroteSinceScheduled = false;
            ctx.executor().execute(() -> flushWhenQuiet(ctx));
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushPendingWrites(ctx);
        ctx.close(promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushPendingWrites(ctx);
        ctx.disconnect(promise);
    }

    /** Before a close: TLS would otherwise close its side first and drop what waits (the QUIT). */
    private static void flushPendingWrites(ChannelHandlerContext ctx) {
        ctx.flush(); // a scheduled flush then finds nothing left
    }

    /** The mail client continues a message in later tasks: wait until a turn passes without a write. */
    private void flushWhenQuiet(ChannelHandlerContext ctx) {
        if (wroteSinceScheduled) {
            wroteSinceScheduled = false;
            ctx.executor().execute(() -> flushWhenQuiet(ctx));
            return;
        }
        flushPending = false;
        ctx.flush();
    }
}
