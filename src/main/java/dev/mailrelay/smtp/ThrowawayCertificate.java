package dev.mailrelay.smtp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed RSA certificate for "localhost", made in memory for {@link SmtpRehearsal} and
 * thrown away with it: the JDK has no public API to issue one, so its DER is written here (X.509
 * v3 with a subjectAltName, RFC 5280). It authenticates nothing; nothing outside the rehearsal trusts it.
 */
final class ThrowawayCertificate {

    private static final byte[] SHA256_WITH_RSA = { 0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x0B };
    private static final byte[] COMMON_NAME = { 0x06, 0x03, 0x55, 0x04, 0x03 };
    private static final byte[] SUBJECT_ALT_NAME = { 0x06, 0x03, 0x55, 0x1D, 0x11 };
    private static final char[] PASSWORD = "throwaway".toCharArray();

    final KeyManagerFactory keys;
    final TrustManagerFactory trust;

    private ThrowawayCertificate(KeyManagerFactory keys, TrustManagerFactory trust) {
        this.keys = keys;
        this.trust = trust;
    }

    static ThrowawayCertificate localhost() throws GeneralSecurityException, java.io.IOException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048); // the size most SMTP servers present, so the same verification code runs
        KeyPair pair = generator.generateKeyPair();
        byte[] algorithm = der(0x30, SHA256_WITH_RSA, new byte[] { 0x05, 0x00 });
        byte[] name = der(0x30, der(0x31, der(0x30, COMMON_NAME, der(0x0C, ascii("localhost")))));
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        DateTimeFormatter utcTime = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
        byte[] validity = der(0x30, der(0x17, ascii(now.minusDays(1).format(utcTime))), der(0x17, ascii(now.plusDays(1).format(utcTime))));
        byte[] altName = der(0x30, SUBJECT_ALT_NAME, der(0x04, der(0x30, der(0x82, ascii("localhost")))));
        byte[] tbs = der(0x30, der(0xA0, new byte[] { 0x02, 0x01, 0x02 }), new byte[] { 0x02, 0x01, 0x01 }, algorithm, name, validity,
                name, pair.getPublic().getEncoded(), der(0xA3, der(0x30, altName)));
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(pair.getPrivate());
        signer.update(tbs);
        byte[] signature = signer.sign();
        byte[] bits = new byte[signature.length + 1]; // no unused bits
        System.arraycopy(signature, 0, bits, 1, signature.length);
        X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der(0x30, tbs, algorithm, der(0x03, bits))));

        KeyStore own = KeyStore.getInstance("PKCS12");
        own.load(null, null);
        own.setKeyEntry("server", pair.getPrivate(), PASSWORD, new X509Certificate[] { certificate });
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(own, PASSWORD);
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("server", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        return new ThrowawayCertificate(keys, trust);
    }

    /** One DER element: tag, definite length, then the parts. */
    private static byte[] der(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        int length = content.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length & 0xFF);
        }
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
