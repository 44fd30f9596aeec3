package dev.mailrelay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * WriteBatching's own rules on a Netty channel, each event-loop turn run by hand: acknowledged in a
 * later task, one flush for a burst of writes, pending writes out before a close, a failed write
 * told to the connection once. (WriteBatchingTest checks the result on the wire.)
 */
class WriteBatchingHandlerTest {

    /**
     * On the network side of the handler (where TLS sits): keeps what it is given and records the
     * order of writes, flushes and the close. It never passes a write on, since EmbeddedChannel
     * runs the pending tasks on every write that reaches it, which would merge the turns under test.
     */
    private static final class Network extends ChannelOutboundHandlerAdapter {
        final List<String> events = new ArrayList<>();
        final StringBuilder flushed = new StringBuilder();
        final StringBuilder pending = new StringBuilder();
        boolean failWrites;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ByteBuf bytes = (ByteBuf) msg;
            events.add("write");
            pending.append(bytes.toString(StandardCharsets.US_ASCII));
            bytes.release();
            if (failWrites) {
                promise.setFailure(new IOException("broken pipe"));
            } else {
                promise.setSuccess();
            }
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            events.add("flush");
            flushed.append(pending);
            pending.setLength(0);
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            events.add("close");
            ctx.close(promise);
        }

        long flushes() {
            return events.stream().filter("flush"::equals).count();
        }
    }

    /**
     * On the client's side: writes from here, as Vert.x does (EmbeddedChannel's own write and flush
     * would run the pending tasks at once), and the exceptions the connection is told about.
     */
    private static final class Connection extends ChannelDuplexHandler {
        final List<Throwable> failures = new ArrayList<>();
        ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.add(cause);
        }
    }

    private final Network network = new Network();
    private final Connection connection = new Connection();
    private final EmbeddedChannel channel = new EmbeddedChannel(network, new WriteBatching(), connection);

    private static ByteBuf line(String text) {
        return Unpooled.copiedBuffer(text + "\r\n", StandardCharsets.US_ASCII);
    }

    @Test
    void acknowledgesAWriteInALaterTaskNotInPlace() {
        ChannelFuture written = connection.ctx.writeAndFlush(line("MAIL FROM:<a@example.org>"));

        assertThat(written.isDone()).as("in place, a long message recursed a frame per line").isFalse();
        channel.runPendingTasks();
        assertThat(written.isSuccess()).isTrue();
    }

    /** As Vert.x mail writes message data: the next line only once the last one's write completed. */
    private void writeLineByLine(int line, int lines) {
        if (line < lines) {
            connection.ctx.writeAndFlush(line("line " + line)).addListener(done -> writeLineByLine(line + 1, lines));
        }
    }

    @Test
    void flushesAMessageWrittenLineByLineOnceWhenTheWritingStops() {
        writeLineByLine(0, 50);
        assertThat(network.flushes()).isZero();

        channel.runPendingTasks(); // the lines follow one another over many tasks

        assertThat(network.flushes()).isEqualTo(1);
        assertThat(network.flushed.toString()).startsWith("line 0\r\nline 1\r\n").endsWith("line 49\r\n");
    }

    @Test
    void sendsWhatIsPendingBeforeTheConnectionCloses() {
        connection.ctx.writeAndFlush(line("QUIT"));

        connection.ctx.close(); // in the same turn, before the deferred flush

        assertThat(network.events).startsWith("write", "flush", "close"); // the deferred flush comes after, with nothing left
        assertThat(network.flushed.toString()).isEqualTo("QUIT\r\n");
    }

    @Test
    void tellsTheConnectionOnceWhenWritesFail() {
        network.failWrites = true;

        connection.ctx.writeAndFlush(line("DATA"));
        connection.ctx.writeAndFlush(line("Subject: x"));
        channel.runPendingTasks();

        assertThat(connection.failures).singleElement().satisfies(e -> assertThat(e).hasMessage("broken pipe"));
    }
}
