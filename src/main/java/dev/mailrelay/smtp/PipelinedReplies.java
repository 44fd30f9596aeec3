package dev.mailrelay.smtp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.vertx.ext.mail.SMTPException;

/**
 * Keeps the reply a server gave to a pipelined envelope when it closes the connection right
 * after. Vert.x mail writes MAIL, RCPT and DATA in one go and waits for all three replies; a
 * server that answers MAIL or RCPT with 421 and closes (Gmail's and Microsoft 365's "try again
 * later, closing connection") leaves it one or two short, and the client then fails with "socket
 * was closed unexpected": a broken conversation, which the relay must treat as uncertain once the
 * message was handed over (504, not retried), where the server in fact refused before any data
 * (503, retried, with its code). This handler, between TLS and the client, counts the commands of
 * such a write and the final replies that follow; when the connection closes (or is reset) short
 * of them after a 4yz or 5yz reply, it tells the client the first such reply, as the client would
 * have read it, in place of the broken connection. Only while the client still waits for the
 * envelope's replies, so before any message data (that waits for the reply to DATA).
 * The bytes in both directions pass through unchanged.
 */
final class PipelinedReplies extends ChannelDuplexHandler {

    private static final byte[] MAIL = "MAIL FROM:".getBytes(StandardCharsets.US_ASCII);
    /** RFC 5321 caps a reply line at 512 octets; a longer one is cut here (only its start matters). */
    private static final int LINE_LIMIT = 1000;

    private int awaited;
    private final StringBuilder line = new StringBuilder();
    private final List<String> reply = new ArrayList<>();
    /** The first 4yz or 5yz reply to the envelope, as the client reports the first refusal. */
    private List<String> refusal;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf && startsWith(buf, MAIL)) {
            int commands = countLines(buf);
            awaited = commands > 1 ? commands : 0; // one command at a time: the client reads each reply itself
            refusal = null;
            line.setLength(0);
            reply.clear();
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaited > 0 && msg instanceof ByteBuf buf) {
            for (int i = buf.readerIndex(); i < buf.writerIndex() && awaited > 0; i++) {
                read(buf.getByte(i));
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (refusedThenBroken()) {
            ctx.fireExceptionCaught(refused());
        }
        super.channelInactive(ctx);
    }

    /** A reset after the refusal (a server closing with our pipelined commands unread) arrives as an exception first. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.fireExceptionCaught(refusedThenBroken() ? refused() : cause);
    }

    private boolean refusedThenBroken() {
        return awaited > 0 && refusal != null;
    }

    private SMTPException refused() {
        awaited = 0;
        int code = code(refusal.get(0));
        return new SMTPException("the server refused the pipelined envelope with " + code + " and closed the connection",
                code, refusal, false);
    }

    private void read(byte b) {
        if (b != '\n') {
            if (b != '\r' && line.length() < LINE_LIMIT) {
                line.append((char) (b & 0xff));
            }
            return;
        }
        String text = line.toString();
        line.setLength(0);
        reply.add(text);
        if (text.length() < 4 || text.charAt(3) != '-') { // "421 text" or "421": the reply's last line
            if (refusal == null && code(text) >= 400) {
                refusal = List.copyOf(reply);
            }
            reply.clear();
            awaited--;
        }
    }

    private static int code(String replyLine) {
        try {
            return Integer.parseInt(replyLine.substring(0, 3));
        } catch (RuntimeException notAReply) {
            return 0;
        }
    }

    private static boolean startsWith(ByteBuf buf, byte[] prefix) {
        if (buf.readableBytes() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(buf.readerIndex() + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int countLines(ByteBuf buf) {
        int lines = 0;
        for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
            if (buf.getByte(i) == '\n') {
                lines++;
            }
        }
        return lines;
    }
}
