package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import jakarta.inject.Inject;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.mailrelay.smtp.SmtpSender;

/**
 * A long mail goes out in a few TLS records, not one per line (smtp.WriteBatching), and arrives
 * byte for byte as a standard parser reads it. The relay reaches the strict test server through a
 * {@link TlsRecordTap} that counts the records it sends.
 */
@QuarkusTest
@TestProfile(WriteBatchingTest.Tapped.class)
class WriteBatchingTest {

    public static class Tapped extends OwnSmtpServerProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(smtpServer(Map.of("tap", "true")));
        }
    }

    TestSmtpServer smtp;
    TlsRecordTap tap;

    @Inject
    SmtpSender sender;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    /**
     * Sends a notification with {@code html} over the connection the previous one left open and
     * signed in (so the tap counts only this message's records), checks its HTML part arrived as
     * sent, and returns the message as the server received it. PipeliningTest counts with it too.
     */
    static byte[] sendOverAnOpenConnection(TestSmtpServer smtp, TlsRecordTap tap, String html) throws Exception {
        Relay.post(Relay.notification()).statusCode(200);
        tap.reset();
        Map<String, Object> body = Relay.notification();
        body.put("html", html);

        Relay.post(body).statusCode(200);

        assertThat(smtp.received()).hasSize(2);
        byte[] data = smtp.received().get(1).data();
        MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(data));
        Multipart parts = (Multipart) mime.getContent();
        assertThat(parts.getBodyPart(1).getContent().toString().replace("\r\n", "\n")).isEqualTo(html);
        return data;
    }

    @Test
    void sendsALongMessageInAFewTlsRecordsAndIntact() throws Exception {
        byte[] data = sendOverAnOpenConnection(smtp, tap, Relay.templateHtml(300));

        int lines = new String(data, StandardCharsets.US_ASCII).split("\r\n").length;
        assertThat(lines).isGreaterThan(600); // quoted-printable folds each row in two or more lines
        // RSET, the envelope (pipelined), the message, the final dot: one record each at most, and then some
        // slack for how the event loop happens to split the message. One record per line was the old way.
        assertThat(tap.clientRecords()).isLessThan(20);
    }

    @Test
    void deliversAMessageLargerThanTheConnectionsWriteBufferIntact() throws Exception {
        // About 230 KB: past Netty's 64 KB high-water mark, so the mail client waits for the
        // connection to drain, which only a flush can do; the request stays under the 256 KB limit.
        byte[] data = sendOverAnOpenConnection(smtp, tap, Relay.templateHtml(1400));

        assertThat(data.length).isGreaterThan(200_000);
        assertThat(tap.clientRecords()).isLessThan(60); // 16 KB records at most, and the commands
    }

    @Test
    void saysQuitBeforeItClosesAConnection() throws Exception {
        Relay.post(Relay.notification()).statusCode(200);
        int before = smtp.quits();

        sender.disconnect(); // the client is closed a moment later, its idle connection with it

        long until = System.currentTimeMillis() + 8_000;
        while (smtp.quits() == before && System.currentTimeMillis() < until) {
            Thread.sleep(50);
        }
        // A close must not overtake the QUIT still waiting for its flush.
        assertThat(smtp.quits()).isEqualTo(before + 1);
    }
}
