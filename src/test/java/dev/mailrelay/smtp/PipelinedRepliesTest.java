package dev.mailrelay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.vertx.ext.mail.SMTPException;

/**
 * PipelinedReplies on a Netty channel: which replies it reports when the server closes the
 * connection, and when it stays out of the way. (SmtpFaultTest checks the relay's answers.)
 */
class PipelinedRepliesTest {

    /** Where the mail client sits: records what reaches it, in order. */
    private static final class Client extends ChannelInboundHandlerAdapter {
        final List<Object> events = new ArrayList<>();
        final StringBuilder read = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            read.append(((ByteBuf) msg).toString(StandardCharsets.US_ASCII));
            ((ByteBuf) msg).release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            events.add(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            events.add("closed");
        }
    }

    private final Client client = new Client();
    private final EmbeddedChannel channel = new EmbeddedChannel(new PipelinedReplies(), client);

    private void clientWrites(String commands) {
        channel.writeOutbound(Unpooled.copiedBuffer(commands, StandardCharsets.US_ASCII));
        ((ByteBuf) channel.readOutbound()).release();
    }

    private void serverSends(String... pieces) {
        for (String piece : pieces) {
            channel.writeInbound(Unpooled.copiedBuffer(piece, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void reportsTheRefusalAServerClosedAfterInAPipelinedEnvelope() {
        clientWrites("MAIL FROM:<relay@mail.example.com>\r\nRCPT TO:<jane@example.org>\r\nDATA\r\n");

        serverSends("250 2.1.0 Ok\r\n421-4.7.0 Try again ", "later,\r\n421 4.7.0 closing connection\r\n");
        channel.close();

        assertThat(client.read).hasToString("250 2.1.0 Ok\r\n421-4.7.0 Try again later,\r\n421 4.7.0 closing connection\r\n");
        assertThat(client.events).hasSize(2).last().isEqualTo("closed");
        SMTPException reported = (SMTPException) client.events.get(0);
        assertThat(reported.getReplyCode()).isEqualTo(421);
        assertThat(reported.getReplyMessages()).containsExactly("421-4.7.0 Try again later,", "421 4.7.0 closing connection");
    }

    @Test
    void reportsTheRefusalInPlaceOfAResetThatFollowsIt() {
        clientWrites("MAIL FROM:<relay@mail.example.com>\r\nRCPT TO:<jane@example.org>\r\nDATA\r\n");

        serverSends("421 4.7.0 Try again later, closing connection\r\n");
        channel.pipeline().fireExceptionCaught(new java.io.IOException("Connection reset")); // the server's RST, before the close
        channel.close();

        assertThat(client.events).hasSize(2).last().isEqualTo("closed");
        assertThat(((SMTPException) client.events.get(0)).getReplyCode()).isEqualTo(421);
    }

    @Test
    void reportsTheFirstRefusalAsTheClientWouldHave() {
        clientWrites("MAIL FROM:<relay@mail.example.com>\r\nRCPT TO:<jane@example.org>\r\nDATA\r\n");

        // Postfix at its hard error limit: the sender refused for good, then "too many errors" and a close.
        serverSends("553 5.7.1 Sender address rejected\r\n421 4.7.0 Error: too many errors\r\n");
        channel.close();

        assertThat(((SMTPException) client.events.get(0)).getReplyCode()).isEqualTo(553);
    }

    @Test
    void passesOtherFailuresOnAsTheyAre() {
        clientWrites("MAIL FROM:<relay@mail.example.com>\r\nRCPT TO:<jane@example.org>\r\nDATA\r\n");
        java.io.IOException reset = new java.io.IOException("Connection reset");

        serverSends("250 2.1.0 Ok\r\n");
        channel.pipeline().fireExceptionCaught(reset);
        channel.close();

        assertThat(client.events).containsExactly(reset, "closed");
    }

    @Test
    void staysOutOfTheWayWhenEveryReplyArrived() {
        clientWrites("MAIL FROM:<relay@mail.example.com>\r\nRCPT TO:<jane@example.org>\r\nDATA\r\n");

        serverSends("250 2.1.0 Ok\r\n550 5.1.1 User unknown\r\n554 5.5.1 No valid recipients\r\n");
        channel.close();

        assertThat(client.events).containsExactly("closed"); // the client has all three and reads them itself
    }

    @Test
    void staysOutOfTheWayForOneCommandAtATime() {
        clientWrites("MAIL FROM:<relay@mail.example.com>\r\n");

        serverSends("421 4.7.0 Try again later, closing connection\r\n");
        channel.close();

        assertThat(client.events).containsExactly("closed");
    }

    @Test
    void reportsNothingWhenTheServerClosesWithoutRefusing() {
        clientWrites("MAIL FROM:<relay@mail.example.com>\r\nRCPT TO:<jane@example.org>\r\nDATA\r\n");

        serverSends("250 2.1.0 Ok\r\n");
        channel.close();

        assertThat(client.events).containsExactly("closed"); // a plain break: the client's own failure stands
    }
}
