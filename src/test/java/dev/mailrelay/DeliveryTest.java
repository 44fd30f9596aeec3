package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Delivery through the Lambda path to a real SMTP server with STARTTLS and AUTH. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class DeliveryTest {

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    @Test
    void deliversBothPartsWithFromToSubjectAndEnvelopeSenderOfTheAccount() throws Exception {
        Map<String, Object> body = Relay.notification();

        String messageId = Relay.post(body).statusCode(200)
                .body("status", equalTo("sent"))
                .body("message_id", startsWith("<msg_"))
                .extract().path("message_id");

        assertThat(smtp.received()).hasSize(1);
        TestSmtpServer.Received mail = smtp.received().get(0);
        assertThat(mail.envelopeFrom()).isEqualTo(TestSmtpServer.USERNAME);
        assertThat(mail.recipients()).containsExactly("jane.doe@example.org");

        MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(mail.data()));
        assertThat(mime.getHeader("From", ",")).isEqualTo("<noreply@mail.example.com>");
        assertThat(mime.getHeader("To", ",")).isEqualTo("<jane.doe@example.org>");
        assertThat(mime.getSubject()).isEqualTo("Verify your email");
        assertThat(mime.getMessageID()).isEqualTo(messageId);
        assertThat(mime.getContentType()).startsWith("multipart/alternative");
        Multipart parts = (Multipart) mime.getContent();
        assertThat(parts.getCount()).isEqualTo(2);
        assertThat(parts.getBodyPart(0).getContentType()).startsWith("text/plain");
        // MIME gives the part's last line break to the boundary; an invisible difference in a mail.
        assertThat(parts.getBodyPart(0).getContent().toString().replace("\r\n", "\n"))
                .isEqualTo(body.get("text").toString().stripTrailing());
        assertThat(parts.getBodyPart(1).getContentType()).startsWith("text/html");
        assertThat(parts.getBodyPart(1).getContent().toString()).isEqualTo(body.get("html"));
    }

    @Test
    void deliversTextOnlyAndHtmlOnlyMessages() throws Exception {
        Map<String, Object> textOnly = Relay.notification();
        textOnly.remove("html");
        Relay.post(textOnly).statusCode(200);
        Map<String, Object> htmlOnly = Relay.notification();
        htmlOnly.put("text", null);
        Relay.post(htmlOnly).statusCode(200);

        assertThat(smtp.received()).hasSize(2);
        assertThat(mime(0).getContentType()).startsWith("text/plain");
        assertThat(mime(1).getContentType()).startsWith("text/html");
    }

    @Test
    void keepsTheDisplayNameAndEncodesNonAsciiSubjects() throws Exception {
        Map<String, Object> body = Relay.notification();
        body.put("from", "Example Støre <noreply@notify.example.com>");
        body.put("subject", "Vérifiez votre adresse e-mail ✉");
        body.put("to", "jane@bücher.example");
        Relay.post(body).statusCode(200);

        MimeMessage mime = mime(0);
        assertThat(mime.getFrom()[0].toString()).contains("noreply@notify.example.com");
        assertThat(((jakarta.mail.internet.InternetAddress) mime.getFrom()[0]).getPersonal()).isEqualTo("Example Støre");
        assertThat(mime.getSubject()).isEqualTo("Vérifiez votre adresse e-mail ✉");
        assertThat(smtp.received().get(0).recipients()).containsExactly("jane@xn--bcher-kva.example");
    }

    @Test
    void quotesADisplayNameWithSpecials() throws Exception {
        Map<String, Object> body = Relay.notification();
        body.put("from", "\"Acme, Inc.\" <noreply@mail.example.com>");
        Relay.post(body).statusCode(200);

        jakarta.mail.internet.InternetAddress[] from = (jakarta.mail.internet.InternetAddress[]) mime(0).getFrom();
        assertThat(from).hasSize(1);
        assertThat(from[0].getPersonal()).isEqualTo("Acme, Inc.");
        assertThat(from[0].getAddress()).isEqualTo("noreply@mail.example.com");

        body = Relay.notification();
        body.put("from", "Støre, Inc. <noreply@mail.example.com>");
        Relay.post(body).statusCode(200);
        from = (jakarta.mail.internet.InternetAddress[]) mime(1).getFrom();
        assertThat(from).hasSize(1);
        assertThat(from[0].getPersonal()).isEqualTo("Støre, Inc.");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = { "PLAIN", "LOGIN" })
    void authenticatesWithWhicheverMechanismTheServerOffers(String mechanism) {
        smtp.offerOnly(mechanism);
        Relay.post(Relay.notification()).statusCode(200);
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(smtp.received()).hasSize(2);
        assertThat(smtp.logins()).as("one login, with the mechanism the server offers").isEqualTo(1);
    }

    /** What a Microsoft 365 user with SMTP_AUTH=password meets once basic authentication is off. */
    @Test
    void namesTheSettingThatFitsWhenTheServerOffersOnlyXoauth2() {
        smtp.offerOnly("XOAUTH2_MICROSOFT");
        Relay.post(Relay.notification()).statusCode(503).body("detail", org.hamcrest.Matchers.containsString("SMTP_AUTH=microsoft"));
        assertThat(smtp.logins()).isZero();
    }

    @Test
    void namesItselfInEhloWithTheSendingDomain() {
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(smtp.heloNames()).containsExactly("mail.example.com");
    }

    @Test
    void closesAnIdleConnectionWithQuitWhenTheKeepAliveEnds() throws Exception {
        Relay.post(Relay.notification()).statusCode(200);
        assertThat(smtp.quits()).isZero();
        long until = System.currentTimeMillis() + 5_000; // smtp.keep-alive is 1 s in the tests
        while (smtp.quits() == 0 && System.currentTimeMillis() < until) {
            Thread.sleep(50);
        }
        assertThat(smtp.quits()).as("the idle connection was closed with QUIT").isEqualTo(1);
    }

    @Test
    void reusesOneConnectionForConsecutiveMessages() {
        for (int i = 0; i < 5; i++) {
            Relay.post(Relay.notification()).statusCode(200);
        }
        assertThat(smtp.received()).hasSize(5);
        assertThat(smtp.connections()).isEqualTo(1);
    }

    /**
     * A server (or a NAT) may drop an idle connection before the keep-alive ends, even as the relay
     * picks it up (then Vert.x mail waits for an RSET reply that cannot come): the next mail still
     * goes, once, on a new connection.
     */
    @Test
    void sendsOnANewConnectionWhenTheServerDroppedTheIdleOne() throws Exception {
        Relay.post(Relay.notification()).statusCode(200);
        for (int i = 0; i < 6; i++) {
            smtp.closeOpenConnections();
            Thread.sleep(i % 2 == 0 ? 0 : 100);
            Relay.post(Relay.notification()).statusCode(200).body("status", org.hamcrest.Matchers.equalTo("sent"));
        }
        assertThat(smtp.received()).hasSize(7);
        assertThat(smtp.dataCommands()).isEqualTo(7);
    }

    @Test
    void opensAFreshConnectionAfterAnIdleGapLongerThanTheKeepAlive() throws Exception {
        Relay.post(Relay.notification()).statusCode(200);
        Thread.sleep(1200); // smtp.keep-alive is 1 s in the tests; on Lambda a freeze counts as idle time too
        smtp.closeOpenConnections(); // what a server (or the network) does to idle connections sooner or later
        Relay.post(Relay.notification()).statusCode(200).body("status", org.hamcrest.Matchers.equalTo("sent"));
        assertThat(smtp.received()).hasSize(2);
        assertThat(smtp.connections()).isEqualTo(2);
    }

    @Test
    void forwardsUnknownMessageTypes() {
        Map<String, Object> body = Relay.notification();
        body.put("message_type", "some_future_type");
        Relay.post(body).statusCode(200).body("status", equalTo("sent"));
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void namesTheMessageByItsKeyedWebhookIdNotTheHeader() {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        String header = Relay.uniqueId();
        String first = Relay.post(body, SmtpServerResource.SECRET, java.time.Instant.now().getEpochSecond(), header)
                .statusCode(200).extract().path("message_id");
        assertThat(first).isEqualTo("<" + Relay.idFor(body) + "@mail.example.com>").doesNotContain(header);
    }

    @Test
    void keepsAHostileDisplayNameInsideOneMailbox() throws Exception {
        Map<String, Object> body = Relay.notification();
        body.put("from", "Ü),evil@evil.test,(x <noreply@mail.example.com>");
        Relay.post(body).statusCode(200);

        String from = mime(0).getHeader("From", ",");
        jakarta.mail.internet.InternetAddress[] parsed = jakarta.mail.internet.InternetAddress.parseHeader(from, true);
        assertThat(parsed).extracting(jakarta.mail.internet.InternetAddress::getAddress).containsExactly("noreply@mail.example.com");
        assertThat(parsed[0].getPersonal()).isEqualTo("Ü),evil@evil.test,(x");
    }

    /**
     * The strict server refuses bare LF and lines over 998 octets, as Postfix hardened against SMTP
     * smuggling does. Each language at the subject length where the mail client's own folding first
     * broke (issue 11: ja 7, zh 8, ko 13, ru 21, de 53, fr 60 characters) and in full; display names
     * likewise; a 990-character ASCII subject; a 72-character recipient; CRLF in the body.
     */
    @Test
    void deliversLocalizedMailToAServerThatRefusesBareLineFeeds() throws Exception {
        String[][] languages = {
                { "メールアドレスを確認して、アカウントの登録を完了してください。", "7", "アクメ株式会社 カスタマーサポートチーム" },
                { "请验证您的电子邮件地址以完成账户注册，谢谢您的耐心。", "8", "Acme 客户支持团队" },
                { "계정 등록을 완료하려면 이메일 주소를 확인해 주세요. 감사합니다.", "13", "Acme 고객 지원 팀" },
                { "Подтвердите адрес электронной почты, чтобы завершить регистрацию учётной записи", "21",
                        "Команда Acme с очень длинным названием отдела поддержки" },
                { "Bestätigen Sie Ihre E-Mail-Adresse, um die Registrierung Ihres Kontos bei Acme abzuschließen", "53",
                        "Kundenbetreuung der Acme Größenwahn GmbH & Co. KG" },
                { "Vérifiez votre adresse e-mail pour activer votre compte Acme dès aujourd'hui, merci", "60", "Équipe Acme" } };
        java.util.List<String[]> cases = new java.util.ArrayList<>();
        for (String[] language : languages) {
            cases.add(new String[] { language[0].substring(0, Integer.parseInt(language[1])), language[2] });
            cases.add(new String[] { language[0], language[2] });
        }
        cases.add(new String[] { "x".repeat(990), "Acme" });
        cases.add(new String[] { "Verify\u007f your email", "Acme" });
        for (String[] c : cases) {
            Map<String, Object> body = Relay.notification();
            body.put("subject", c[0]);
            body.put("from", c[1] + " <noreply@mail.example.com>");
            body.put("to", "a-very-long-local-part-for-a-recipient-address-0123456789@sub.example.org");
            body.put("text", "Bonjour,\r\nVotre code : 123456\r\n");
            Relay.post(body).statusCode(200).body("status", equalTo("sent"));
        }
        assertThat(smtp.received()).hasSize(cases.size());
        for (int i = 0; i < cases.size(); i++) {
            MimeMessage mime = mime(i);
            assertThat(mime.getSubject()).isEqualTo(cases.get(i)[0]);
            jakarta.mail.internet.InternetAddress from = (jakarta.mail.internet.InternetAddress) mime.getFrom()[0];
            assertThat(from.getPersonal()).isEqualTo(cases.get(i)[1]);
            assertThat(mime.getHeader("To", ",")).isEqualTo("<a-very-long-local-part-for-a-recipient-address-0123456789@sub.example.org>");
            assertThat(new String(smtp.received().get(i).data(), StandardCharsets.ISO_8859_1)).as("raw DEL in a header")
                    .doesNotContain("\u007f");
            Multipart parts = (Multipart) mime.getContent();
            assertThat(parts.getBodyPart(0).getContent().toString()).doesNotContain("\r\r").contains("Votre code : 123456");
        }
    }

    private MimeMessage mime(int index) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(smtp.received().get(index).data()));
    }
}
