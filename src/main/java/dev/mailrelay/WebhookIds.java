package dev.mailrelay;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import javax.crypto.spec.SecretKeySpec;

import jakarta.inject.Singleton;

/**
 * The idempotency keys of a notification (SPEC §2): {@code msg_} + base64url of an HMAC-SHA256,
 * under a key derived from the relay secret, over tenant, message_type, to, subject, html and
 * text, each written as {@code <UTF-8 byte length>:<value>;} ({@code -;} when absent). The Action
 * derives the same id; the relay derives its own rather than trusting the header, so that an id
 * never reveals the content (a plain hash of a mail gives its 6-digit code away to brute force)
 * and a retry finds its record whichever of two rotating secrets signed it: one id per configured
 * secret, the first one naming the message.
 */
@Singleton
public class WebhookIds {

    /** Separates this key's use from signing: HMAC(secret, label) is the id key. */
    static final String LABEL = "auth0-mail-relay webhook-id v1";
    private static final byte[] LABEL_BYTES = LABEL.getBytes(StandardCharsets.UTF_8);
    private static final byte[] ABSENT = "-;".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SignatureVerifier verifier;

    WebhookIds(SignatureVerifier verifier) {
        this.verifier = verifier;
    }

    /** One id per configured secret, in RELAY_SECRET's order; at least one. */
    List<String> of(Notification n) {
        byte[] input = input(n);
        return verifier.idKeys().stream().map(key -> id(key, input)).distinct().toList();
    }

    /** For mail that is never deduplicated (the dashboard's "Send Test Email"): unrelated to the content. */
    static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static SecretKeySpec idKey(SecretKeySpec signingKey) {
        return new SecretKeySpec(SignatureVerifier.hmac(signingKey, new byte[0], LABEL_BYTES), "HmacSHA256");
    }

    static String id(SecretKeySpec idKey, byte[] input) {
        return "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(SignatureVerifier.hmac(idKey, new byte[0], input));
    }

    /** Each field encoded once: html and text may be a few hundred kilobytes. */
    static byte[] input(Notification n) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (String field : new String[] { n.tenant(), n.messageType(), n.to(), n.subject(), n.html(), n.text() }) {
            if (field == null) {
                out.writeBytes(ABSENT);
                continue;
            }
            byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
            out.writeBytes((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(bytes);
            out.write(';');
        }
        return out.toByteArray();
    }
}
