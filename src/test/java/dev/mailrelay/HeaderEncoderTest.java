package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.mailrelay.smtp.HeaderEncoder;

/** The headers the relay writes itself, read back by Jakarta Mail's strict parser. */
class HeaderEncoderTest {

    static java.util.List<String> names() {
        return java.util.List.of("Acme", "Acme, Inc.", "Équipe Acme", "Ü),evil@evil.test,(x", "a\\\"b",
                "=?UTF-8?B?ZXZpbA==?= <e@evil.test>", "\"quoted\" <x@evil.test>, y@evil.test", "日本語のサポートチーム",
                "x".repeat(300), "é".repeat(200), "emoji 🔐 team", "a;b:c[d]e", "Acme.");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("names")
    void writesADisplayNameAsExactlyOneMailboxWithThatName(String name) throws Exception {
        String header = HeaderEncoder.mailbox(name, "noreply@acme.test");
        InternetAddress[] parsed = InternetAddress.parseHeader(header.replace("\r\n", ""), true);
        assertThat(parsed).hasSize(1);
        assertThat(parsed[0].getAddress()).isEqualTo("noreply@acme.test");
        assertThat(parsed[0].getPersonal()).isEqualTo(name.strip());
        assertLines("From: " + header);
    }

    @ParameterizedTest
    @ValueSource(strings = { "Verify your email", "Vérifiez votre adresse e-mail pour activer votre compte Acme dès maintenant",
            "確認コード", "Подтвердите адрес электронной почты, чтобы войти в учётную запись", "looks =?like?= an encoded word",
            "a", "two  spaces", "del\u007f in the middle", "tab\there" })
    void writesASubjectThatReadsBackAsGiven(String subject) throws Exception {
        String header = HeaderEncoder.unstructured("Subject", subject);
        assertLines("Subject: " + header);
        MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()), new java.io.ByteArrayInputStream(
                ("Subject: " + header + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII)));
        assertThat(parsed.getSubject()).isEqualTo(subject);
    }

    @ParameterizedTest
    @ValueSource(ints = { 78, 990, 998 })
    void foldsOrEncodesLongSubjectsUnder998Octets(int length) throws Exception {
        String subject = ("word ".repeat(length)).substring(0, length);
        String single = "x".repeat(length);
        for (String s : new String[] { subject, single }) {
            String header = HeaderEncoder.unstructured("Subject", s);
            assertLines("Subject: " + header);
            assertThat(MimeUtility.decodeText(MimeUtility.unfold(header))).isEqualTo(s);
        }
    }

    /** Every line ends in CRLF (no bare LF or CR), is ASCII, and stays within 998 octets. */
    private static void assertLines(String header) {
        assertThat(header).doesNotContainPattern("[^\r]\n").doesNotContainPattern("\r[^\n]").matches("[\\x20-\\x7E\r\n]*");
        for (String line : header.split("\r\n")) {
            assertThat(line.length()).as(line).isLessThanOrEqualTo(998);
        }
    }
}
