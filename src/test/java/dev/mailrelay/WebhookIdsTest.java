package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;

/** The relay derives the Action's webhook-ids: keyed, never a plain hash of the content. */
class WebhookIdsTest {

    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    @Test
    void derivesTheSameIdsAsTheActionOnTheSharedVectors() throws Exception {
        JsonNode vectors = Relay.JSON.readTree(Files.readString(Path.of("src/test/resources/webhook-id-vectors.json")));
        assertThat(vectors.size()).isGreaterThanOrEqualTo(3);
        for (JsonNode v : vectors) {
            Notification n = Relay.JSON.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .treeToValue(v.get("body"), Notification.class);
            String id = WebhookIds.id(WebhookIds.idKey(SignatureVerifier.key(v.get("secret").asText())), WebhookIds.input(n));
            assertThat(id).as(v.get("body").toString()).isEqualTo(v.get("webhook_id").asText());
        }
    }

    @Test
    void differsUnderAnotherSecretAndFromAPlainHash() throws Exception {
        Notification n = notification("Your code is 123456");
        byte[] input = WebhookIds.input(n);
        String id = WebhookIds.id(WebhookIds.idKey(SignatureVerifier.key(SECRET)), input);
        String other = WebhookIds.id(WebhookIds.idKey(SignatureVerifier.key(SmtpServerResource.OLD_SECRET)), input);
        String plain = "msg_" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(MessageDigest.getInstance("SHA-256").digest(input));
        assertThat(id).isNotEqualTo(other).isNotEqualTo(plain).matches("msg_[A-Za-z0-9_-]{43}");
    }

    @Test
    void keepsFieldsApart() {
        byte[] a = WebhookIds.input(new Notification("a@b.c", "x@b.c", "ab", "c", null, null, "m", "t", null, null));
        byte[] b = WebhookIds.input(new Notification("a@b.c", "x@b.c", "a", "bc", null, null, "m", "t", null, null));
        byte[] empty = WebhookIds.input(new Notification("a@b.c", "x@b.c", "a", "", null, null, "m", "t", null, null));
        byte[] absent = WebhookIds.input(new Notification("a@b.c", "x@b.c", "a", null, null, null, "m", "t", null, null));
        assertThat(new String(a, StandardCharsets.UTF_8)).isNotEqualTo(new String(b, StandardCharsets.UTF_8));
        assertThat(new String(empty, StandardCharsets.UTF_8)).isNotEqualTo(new String(absent, StandardCharsets.UTF_8));
    }

    @Test
    void givesTheDashboardTestAFreshIdEachTime() {
        assertThat(WebhookIds.random()).isNotEqualTo(WebhookIds.random()).matches("msg_[A-Za-z0-9_-]{43}");
    }

    private static Notification notification(String text) {
        return new Notification("jane@example.org", "noreply@mail.example.com", "Code", null, text, "en", "verification_code",
                "t", null, null);
    }
}
