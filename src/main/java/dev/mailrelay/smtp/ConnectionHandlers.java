package dev.mailrelay.smtp;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;
import io.vertx.core.net.impl.VertxHandler;
import io.vertx.ext.mail.MailClient;

/**
 * Adds the relay's Netty handlers ({@link WriteBatching}, {@link PipelinedReplies}) to each SMTP
 * connection a Vert.x mail client opens, between TLS and the client. Vert.x mail 4.5 has no hook
 * for its connections, so {@link #install} replaces the pool's private final {@code netClient}
 * with one that adds them on connect; when an update renames it, the client is left as it is (it
 * then writes line by line, and a 421 mid-envelope reads as a broken conversation), and
 * WriteBatchingTest and SmtpFaultTest notice.
 */
final class ConnectionHandlers {

    private static final String BATCHING = "relay-write-batching";
    private static final String REPLIES = "relay-pipelined-replies";

    private ConnectionHandlers() {
    }

    /** Makes {@code client}'s future connections carry the handlers, when this Vert.x mail version allows it. */
    static void install(MailClient client) {
        try {
            Object pool = PooledConnection.call(client, "getConnectionPool");
            Field field = pool.getClass().getDeclaredField("netClient");
            field.setAccessible(true);
            NetClient original = (NetClient) field.get(pool);
            field.set(pool, adding(original));
        } catch (ReflectiveOperationException | RuntimeException e) {
            Log.warnf("the mail client runs without the relay's connection handlers (a TLS record per line): %s", e.toString());
        }
    }

    @SuppressWarnings("unchecked")
    private static NetClient adding(NetClient original) {
        return (NetClient) Proxy.newProxyInstance(ConnectionHandlers.class.getClassLoader(), new Class<?>[] { NetClient.class },
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(original, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("connect") && result instanceof Future<?> connected) {
                        return ((Future<NetSocket>) connected).map(ConnectionHandlers::addTo);
                    }
                    return result;
                });
    }

    /** The socket is returned whatever happens: a connection without the handlers still sends. */
    private static NetSocket addTo(NetSocket socket) {
        try {
            if (socket instanceof NetSocketInternal internal) {
                ChannelPipeline pipeline = internal.channelHandlerContext().pipeline();
                ChannelHandlerContext vertx = pipeline.context(VertxHandler.class);
                if (vertx != null && pipeline.get(BATCHING) == null) {
                    pipeline.addBefore(vertx.name(), BATCHING, new WriteBatching());
                    pipeline.addBefore(vertx.name(), REPLIES, new PipelinedReplies());
                }
            }
        } catch (RuntimeException e) {
            Log.debugf("this SMTP connection runs without the relay's handlers: %s", e.toString());
        }
        return socket;
    }
}
