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
 * An RSA certificate for "localhost" and the CA that signed it, made in memory for {@link SmtpRehearsal}
 * and thrown away with it: the JDK has no public API to issue one, so their DER is written here
 * (X.509 v3, RFC 5280). They authenticate nothing; nothing outside the rehearsal trusts them.
 */
final class ThrowawayCertificate {

    private static final byte[] SHA256_WITH_RSA = { 0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x0B };
    private static final byte[] COMMON_NAME = { 0x06, 0x03, 0x55, 0x04, 0x03 };
    private static final byte[] SUBJECT_ALT_NAME = { 0x06, 0x03, 0x55, 0x1D, 0x11 };
    private static final byte[] BASIC_CONSTRAINTS = { 0x06, 0x03, 0x55, 0x1D, 0x13 };
    private static final char[] PASSWORD = "throwaway".toCharArray();

    final KeyManagerFactory keys;
    final TrustManagerFactory trust;

    private ThrowawayCertificate(KeyManagerFactory keys, TrustManagerFactory trust) {
        this.keys = keys;
        this.trust = trust;
    }

    /**
     * A throwaway CA and a "localhost" certificate it signed: trusting the CA (not the leaf) makes
     * the rehearsal's client build and check a certification path, as it does for a real server.
     */
    static ThrowawayCertificate localhost() throws GeneralSecurityException, java.io.IOException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048); // the size most SMTP servers present, so the same verification code runs
        KeyPair authority = generator.generateKeyPair();
        KeyPair server = generator.generateKeyPair();
        byte[] caName = name("Throwaway rehearsal CA");
        X509Certificate ca = certificate(1, caName, caName, authority.getPublic(), authority,
                der(0x30, BASIC_CONSTRAINTS, new byte[] { 0x01, 0x01, (byte) 0xFF }, der(0x04, der(0x30, new byte[] { 0x01, 0x01, (byte) 0xFF }))));
        X509Certificate leaf = certificate(2, caName, name("localhost"), server.getPublic(), authority,
                der(0x30, SUBJECT_ALT_NAME, der(0x04, der(0x30, der(0x82, ascii("localhost"))))));

        KeyStore own = KeyStore.getInstance("PKCS12");
        own.load(null, null);
        own.setKeyEntry("server", server.getPrivate(), PASSWORD, new X509Certificate[] { leaf, ca });
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(own, PASSWORD);
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", ca);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        return new ThrowawayCertificate(keys, trust);
    }

    /** An X.509 v3 certificate (RFC 5280) valid from yesterday to tomorrow, signed with {@code issuerKeys}. */
    private static X509Certificate certificate(int serial, byte[] issuer, byte[] subject, java.security.PublicKey key,
            KeyPair issuerKeys, byte[] extension) throws GeneralSecurityException {
        byte[] algorithm = der(0x30, SHA256_WITH_RSA, new byte[] { 0x05, 0x00 });
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        DateTimeFormatter utcTime = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
        byte[] validity = der(0x30, der(0x17, ascii(now.minusDays(1).format(utcTime))), der(0x17, ascii(now.plusDays(1).format(utcTime))));
        byte[] tbs = der(0x30, der(0xA0, new byte[] { 0x02, 0x01, 0x02 }), new byte[] { 0x02, 0x01, (byte) serial }, algorithm, issuer,
                validity, subject, key.getEncoded(), der(0xA3, der(0x30, extension)));
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(issuerKeys.getPrivate());
        signer.update(tbs);
        byte[] signature = signer.sign();
        byte[] bits = new byte[signature.length + 1]; // no unused bits
        System.arraycopy(signature, 0, bits, 1, signature.length);
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der(0x30, tbs, algorithm, der(0x03, bits))));
    }

    private static byte[] name(String commonName) {
        return der(0x30, der(0x31, der(0x30, COMMON_NAME, der(0x0C, ascii(commonName)))));
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
        } else if (length < 0x10000) {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length & 0xFF);
        } else {
            throw new IllegalArgumentException("a DER element of " + length + " octets is beyond these certificates");
        }
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
