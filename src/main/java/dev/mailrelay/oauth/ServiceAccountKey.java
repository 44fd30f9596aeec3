package dev.mailrelay.oauth;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A Google service account key, as Google issues it (JSON with {@code client_email},
 * {@code private_key} in PKCS#8 PEM, {@code private_key_id}, {@code token_uri}), and the RS256
 * assertions it signs. The key stays in this object; nothing here logs or returns it.
 */
public final class ServiceAccountKey {

    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    /** Google accepts at most an hour between iat and exp. */
    private static final long LIFETIME_SECONDS = 3600;

    private final String clientEmail;
    private final String keyId;
    private final Optional<URI> tokenUri;
    private final PrivateKey privateKey;
    private final ObjectMapper json;

    private ServiceAccountKey(String clientEmail, String keyId, Optional<URI> tokenUri, PrivateKey privateKey, ObjectMapper json) {
        this.clientEmail = clientEmail;
        this.keyId = keyId;
        this.tokenUri = tokenUri;
        this.privateKey = privateKey;
        this.json = json;
    }

    /**
     * Reads a key file's JSON.
     *
     * @throws IllegalArgumentException naming the missing or malformed field (never its value)
     */
    public static ServiceAccountKey parse(String keyJson, ObjectMapper json) {
        JsonNode node;
        try {
            node = json.readTree(keyJson);
        } catch (Exception e) {
            throw new IllegalArgumentException("the service account key is not JSON");
        }
        String email = text(node, "client_email");
        String pem = text(node, "private_key");
        String der = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        Optional<URI> tokenUri;
        try {
            tokenUri = Optional.ofNullable(node.path("token_uri").textValue()).map(URI::create);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the service account key's token_uri is not a URL");
        }
        try {
            PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(der)));
            return new ServiceAccountKey(email, node.path("private_key_id").textValue(), tokenUri, key, json);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("the service account key's private_key is not an RSA key in PKCS#8 PEM");
        }
    }

    private static String text(JsonNode node, String field) {
        String value = node.path(field).textValue();
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the service account key has no " + field);
        }
        return value;
    }

    /** The key's own token endpoint ({@code token_uri}), if it names one. */
    public Optional<URI> tokenUri() {
        return tokenUri;
    }

    /** A signed JWT: iss = the service account, sub = the mailbox, aud = the token endpoint, valid for an hour. */
    String assertion(String subject, String scope, URI audience, Instant now) {
        ObjectNode header = json.createObjectNode().put("alg", "RS256").put("typ", "JWT");
        if (keyId != null) {
            header.put("kid", keyId);
        }
        ObjectNode claims = json.createObjectNode().put("iss", clientEmail).put("sub", subject).put("scope", scope)
                .put("aud", audience.toString()).put("iat", now.getEpochSecond()).put("exp", now.getEpochSecond() + LIFETIME_SECONDS);
        String signingInput = B64URL.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + B64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(privateKey);
            rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64URL.encodeToString(rs256.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with the service account key", e);
        }
    }
}
