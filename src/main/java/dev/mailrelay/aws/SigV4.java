package dev.mailrelay.aws;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for the one request shape the relay sends: a JSON POST to "/" with no
 * query string. Written out instead of taken from the AWS SDK, which cost 6.5 MB of function.zip
 * and a few hundred milliseconds of its first call (docs/performance.md); the tests check every
 * signature against the SDK's own signer.
 */
public final class SigV4 {

    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private SigV4() {
    }

    /**
     * The headers to add to the request: X-Amz-Content-Sha256, X-Amz-Date, X-Amz-Security-Token (with session
     * credentials) and Authorization. {@code headers} are the other headers to sign (lower-case
     * names, Host included).
     */
    public static Map<String, String> sign(Map<String, String> headers, byte[] body, AwsCredentials.Keys keys, String region,
            String service, Instant now) {
        String amzDate = AMZ_DATE.format(now);
        String date = amzDate.substring(0, 8);
        TreeMap<String, String> signed = new TreeMap<>();
        headers.forEach((name, value) -> signed.put(name.toLowerCase(Locale.ROOT), value.strip()));
        String payloadHash = HEX.formatHex(sha256(body));
        signed.put("x-amz-content-sha256", payloadHash); // optional outside S3; sent as the SDK sends it
        signed.put("x-amz-date", amzDate);
        if (keys.sessionToken() != null) {
            signed.put("x-amz-security-token", keys.sessionToken());
        }
        StringBuilder canonical = new StringBuilder("POST\n/\n\n");
        signed.forEach((name, value) -> canonical.append(name).append(':').append(value).append('\n'));
        String signedHeaders = String.join(";", signed.keySet());
        canonical.append('\n').append(signedHeaders).append('\n').append(payloadHash);
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + HEX.formatHex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + keys.secretAccessKey()).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(hmac(hmac(key, region), service), "aws4_request");
        String signature = HEX.formatHex(hmac(key, toSign));
        Map<String, String> added = new TreeMap<>();
        added.put("X-Amz-Content-Sha256", payloadHash);
        added.put("X-Amz-Date", amzDate);
        if (keys.sessionToken() != null) {
            added.put("X-Amz-Security-Token", keys.sessionToken());
        }
        added.put("Authorization", "AWS4-HMAC-SHA256 Credential=" + keys.accessKeyId() + "/" + scope
                + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature);
        return added;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
