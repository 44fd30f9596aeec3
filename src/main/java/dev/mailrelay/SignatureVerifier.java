package dev.mailrelay;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.inject.Singleton;

import dev.mailrelay.RelayException.SignatureRejected;

/**
 * Checks Standard Webhooks signatures (standardwebhooks.com): {@code v1,} + base64 HMAC-SHA256
 * of {@code id.timestamp.body}, under any of the configured secrets so that a rotation never
 * rejects a correctly signed request. With the secret in Secrets Manager, a signature that
 * matches no cached key triggers one fresh read, in case the secret was just rotated.
 */
@Singleton
public class SignatureVerifier {

    static final Duration TOLERANCE = Duration.ofMinutes(5);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.=-]{1,256}");
    private static final Pattern TIMESTAMP = Pattern.compile("[0-9]{1,12}");

    /** The keys parsed from one secrets value, kept until the value changes; {@code idKeys} derive webhook-ids. */
    private record Keys(List<String> secrets, List<SecretKeySpec> specs, List<SecretKeySpec> idKeys) {
        static Keys of(List<String> secrets) {
            List<SecretKeySpec> specs = secrets.stream().map(String::strip).filter(s -> !s.isEmpty())
                    .map(SignatureVerifier::key).toList();
            return new Keys(secrets, specs, specs.stream().map(WebhookIds::idKey).toList());
        }
    }

    private final Secrets secrets;
    private volatile Keys keys;

    SignatureVerifier(Secrets secrets) {
        this.secrets = secrets;
        // Keys are built on first use, not at init; StartupCheck only checks a plain RELAY_SECRET's
        // format. (The plain value sits in the process environment, so in any SnapStart snapshot:
        // SnapStart deployments use RELAY_SECRET_ARN.)
        this.keys = Keys.of(List.of());
    }

    /** Throws {@link IllegalStateException} naming the problem when a plain RELAY_SECRET is malformed. */
    static void checkFormat(List<String> plainSecrets) {
        plainSecrets.stream().map(String::strip).filter(s -> !s.isEmpty()).forEach(SignatureVerifier::key);
    }

    /** The keys webhook-ids are derived under, in RELAY_SECRET's order (call after {@link #verify}). */
    List<SecretKeySpec> idKeys() {
        return keys(false).idKeys();
    }

    private Keys keys(boolean fresh) {
        List<String> current = secrets.relaySecrets(fresh);
        Keys k = keys;
        if (!k.secrets().equals(current)) {
            try {
                k = Keys.of(current);
            } catch (IllegalStateException malformed) {
                throw new RelayException.SecretUnavailable("the secret behind RELAY_SECRET_ARN is not whsec_ + base64");
            }
            keys = k;
        }
        return k;
    }

    static SecretKeySpec key(String secret) {
        String encoded = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
        byte[] key;
        try {
            key = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("RELAY_SECRET holds a value that is not whsec_ followed by base64");
        }
        if (key.length < 16) {
            throw new IllegalStateException("RELAY_SECRET holds a key shorter than 16 bytes");
        }
        return new SecretKeySpec(key, "HmacSHA256");
    }

    /**
     * What a signature opens, told by its webhook-id, which the signature covers: a diagnostics
     * run's id starts with {@code diag_}, a notification's never does, so neither signature can
     * be replayed against the other endpoint.
     */
    enum Purpose {
        NOTIFICATION, DIAGNOSTICS;

        static final String DIAGNOSTICS_PREFIX = "diag_";

        void check(String id) {
            boolean diagnostics = id.startsWith(DIAGNOSTICS_PREFIX);
            if (this == DIAGNOSTICS && !diagnostics) {
                throw new SignatureRejected("a diagnostics request carries a webhook-id that starts with " + DIAGNOSTICS_PREFIX);
            }
            if (this == NOTIFICATION && diagnostics) {
                throw new SignatureRejected("a diagnostics signature does not open this endpoint");
            }
        }
    }

    /** Throws {@link SignatureRejected} unless the id fits {@code purpose} and one signature in the header matches one key. */
    void verify(Purpose purpose, String id, String timestamp, String signatures, byte[] body, Instant now) {
        if (id == null || timestamp == null || signatures == null) {
            throw new SignatureRejected("webhook-id, webhook-timestamp and webhook-signature headers are required");
        }
        purpose.check(id);
        if (!ID.matcher(id).matches()) {
            throw new SignatureRejected("webhook-id must be 1 to 256 characters of [A-Za-z0-9_.=-]");
        }
        if (!TIMESTAMP.matcher(timestamp).matches()) {
            throw new SignatureRejected("webhook-timestamp must be Unix seconds");
        }
        long skew = Math.abs(now.getEpochSecond() - Long.parseLong(timestamp));
        if (skew > TOLERANCE.toSeconds()) {
            throw new SignatureRejected("webhook-timestamp is outside the ±5 min window (clock skew or replay)");
        }
        byte[] signed = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        Keys current = keys(false);
        if (matches(current, signed, signatures, body)) {
            return;
        }
        if (secrets.relaySecretRotates()) {
            Keys fresh = keys(true);
            if (fresh != current && matches(fresh, signed, signatures, body)) {
                return;
            }
        }
        throw new SignatureRejected("webhook-signature does not match any configured secret");
    }

    /** Signs and checks {@code body} with a throwaway key: the HMAC and comparison code, primed without a secret. */
    static boolean prime(String id, String timestamp, byte[] body) {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        byte[] signed = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        Keys keys = Keys.of(List.of(secret));
        String signature = "v1," + Base64.getEncoder().encodeToString(hmac(keys.specs().get(0), signed, body));
        return ID.matcher(id).matches() && TIMESTAMP.matcher(timestamp).matches() && matches(keys, signed, signature, body);
    }

    private static boolean matches(Keys keys, byte[] signed, String signatures, byte[] body) {
        for (SecretKeySpec key : keys.specs()) {
            byte[] expected = hmac(key, signed, body);
            for (String candidate : signatures.trim().split(" +")) {
                if (candidate.startsWith("v1,") && MessageDigest.isEqual(expected, decode(candidate.substring(3)))) {
                    return true;
                }
            }
        }
        return false;
    }

    static byte[] hmac(SecretKeySpec key, byte[] prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(prefix);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    private static byte[] decode(String base64) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }
}
