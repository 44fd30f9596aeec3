package dev.mailrelay.smtp;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

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
 * <p>Added to each connection by {@link ConnectionHandlers}; WriteBatchingTest counts the records.
 */
final class WriteBatching extends ChannelOutboundHandlerAdapter {

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
