package dev.mailrelay;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.certs.CertificateFiles;
import io.smallrye.certs.CertificateGenerator;
import io.smallrye.certs.CertificateRequest;
import io.smallrye.certs.Format;
import io.smallrye.certs.PemCertificateFiles;
import io.smallrye.certs.Pkcs12CertificateFiles;

/**
 * Starts {@link TestSmtpServer} with fresh certificates for localhost (one trusted through
 * SMTP_CA_FILE, one not) and points the relay at it: STARTTLS and AUTH, as in production.
 */
public class SmtpServerResource implements QuarkusTestResourceLifecycleManager {

    /** Test-only Standard Webhooks secrets: the current one and the one being rotated out. */
    static final String SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString("test-secret-current-0123456789ab".getBytes());
    static final String OLD_SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString("test-secret-previous-0123456789a".getBytes());
    static final String STORE_PASSWORD = "test-only";

    private TestSmtpServer server;
    private String tls = "starttls";
    private boolean fallback;
    private boolean secretsByArn;
    private String keepAlive = "1s";
    /** XOAUTH2_MICROSOFT or XOAUTH2_GOOGLE: the server offers only AUTH XOAUTH2. */
    private String signInStyle;
    /** "tap": the relay reaches the server through a {@link TlsRecordTap}. */
    private boolean tapped;
    private TlsRecordTap tap;

    /** Marks the test field that receives the fallback server, when a profile starts one. */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.FIELD)
    public @interface Fallback {
    }

    @Override
    public void init(Map<String, String> initArgs) {
        tls = initArgs.getOrDefault("tls", "starttls");
        fallback = Boolean.parseBoolean(initArgs.getOrDefault("fallback", "false"));
        secretsByArn = Boolean.parseBoolean(initArgs.getOrDefault("secrets-by-arn", "false"));
        keepAlive = initArgs.getOrDefault("keep-alive", "1s");
        signInStyle = initArgs.get("sign-in");
        tapped = Boolean.parseBoolean(initArgs.getOrDefault("tap", "false"));
    }

    @Override
    public Map<String, String> start() {
        try {
            Certificates certs = certificates();
            server = new TestSmtpServer(certs.keyStores(), STORE_PASSWORD, tls.equals("implicit"));
            if (signInStyle != null) {
                server.signInWithTokens(signInStyle, java.util.Set.of());
            }
            Path ca = certs.ca();
            int port = server.port();
            if (tapped) {
                tap = new TlsRecordTap(port);
                port = tap.port();
            }
            if (fallback) {
                return Map.of("smtp.fallback.host", "localhost", "smtp.fallback.port", String.valueOf(server.port()),
                        "smtp.fallback.username", TestSmtpServer.USERNAME, "smtp.fallback.password", TestSmtpServer.PASSWORD);
            }
            Map<String, String> config = new java.util.HashMap<>(Map.ofEntries(
                    Map.entry("smtp.host", "localhost"),
                    Map.entry("smtp.port", String.valueOf(port)),
                    Map.entry("smtp.username", TestSmtpServer.USERNAME),
                    Map.entry("smtp.password", TestSmtpServer.PASSWORD),
                    Map.entry("smtp.tls", tls),
                    Map.entry("smtp.ca-file", ca.toAbsolutePath().toString()),
                    Map.entry("smtp.connect-timeout", "1s"), // loopback; and a session (1 s + 2 s) ends within the budget
                    Map.entry("smtp.command-timeout", "2s"),
                    Map.entry("smtp.keep-alive", keepAlive),
                    Map.entry("relay.secret", SECRET + "," + OLD_SECRET),
                    Map.entry("relay.allowed-from", "noreply@mail.example.com,@notify.example.com"),
                    Map.entry("relay.time-budget", "4s"),
                    Map.entry("relay.retry.delay", "50ms"),
                    Map.entry("relay.retry.jitter", "20ms"),
                    // The breaker has its own test; elsewhere one test's faults must not open it for the next.
                    Map.entry("relay.breaker.failures", "1000")));
            if (secretsByArn) {
                config.remove("relay.secret");
                config.remove("smtp.password");
            }
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test SMTP server", e);
        }
    }

    /** Key stores per certificate kind, and the PEM file the relay trusts (SMTP_CA_FILE). */
    record Certificates(Map<TestSmtpServer.Certificate, Path> keyStores, Path ca) {
    }

    private static Certificates certificates;

    /** Made once per test run and shared by every server, so a fallback is trusted like the primary. */
    static synchronized Certificates certificates() throws Exception {
        if (certificates == null) {
            Path dir = java.nio.file.Files.createDirectories(Path.of("target", "test-certs").toAbsolutePath());
            CertificateGenerator generator = new CertificateGenerator(dir, true);
            List<CertificateFiles> trusted = generator.generate(request("smtp-trusted", "localhost"));
            List<CertificateFiles> untrusted = generator.generate(request("smtp-untrusted", "localhost"));
            List<CertificateFiles> wrongHost = generator.generate(request("smtp-wrong-host", "mail.other.example"));
            // The relay trusts both the localhost and the other-host certificate: only host name
            // verification can then refuse the wrong one.
            Path ca = dir.resolve("smtp-ca.pem");
            java.nio.file.Files.writeString(ca, java.nio.file.Files.readString(pem(trusted)) + java.nio.file.Files.readString(pem(wrongHost)));
            certificates = new Certificates(Map.of(TestSmtpServer.Certificate.TRUSTED, p12(trusted),
                    TestSmtpServer.Certificate.UNTRUSTED, p12(untrusted), TestSmtpServer.Certificate.WRONG_HOST, p12(wrongHost)), ca);
        }
        return certificates;
    }

    private static Path pem(List<CertificateFiles> files) {
        return files.stream().filter(f -> f instanceof PemCertificateFiles).map(f -> ((PemCertificateFiles) f).certFile())
                .findFirst().orElseThrow();
    }

    private static CertificateRequest request(String name, String host) {
        return new CertificateRequest().withName(name).withCN(host).withSubjectAlternativeName("DNS:" + host)
                .withFormats(List.of(Format.PKCS12, Format.PEM)).withPassword(STORE_PASSWORD)
                .withDuration(java.time.Duration.ofDays(2));
    }

    private static Path p12(List<CertificateFiles> files) {
        return files.stream().filter(f -> f instanceof Pkcs12CertificateFiles).map(f -> ((Pkcs12CertificateFiles) f).keyStoreFile())
                .findFirst().orElseThrow();
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(server, field -> field.getType() == TestSmtpServer.class
                && field.isAnnotationPresent(Fallback.class) == fallback);
        if (tap != null) {
            injector.injectIntoFields(tap, field -> field.getType() == TlsRecordTap.class);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
        if (tap != null) {
            try {
                tap.close();
            } catch (java.io.IOException e) {
                // the test is over
            }
        }
    }
}
