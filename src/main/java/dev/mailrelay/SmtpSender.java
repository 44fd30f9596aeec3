package dev.mailrelay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import jakarta.inject.Singleton;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.mail.MailClient;

import dev.mailrelay.RelayException.SmtpTimeout;

/**
 * The only class that talks to the SMTP server. It builds one Vert.x mail client (the client
 * quarkus-mailer is made of) from the SMTP_* settings, because their meaning (public CAs plus
 * SMTP_CA_FILE, host name always verified) is the product's contract, and bounds every send.
 * Without SMTP_HOST (dev mode only, see StartupCheck) it logs what it would have sent.
 */
@Singleton
public class SmtpSender {

    private final MailClient client;
    private final Optional<Address> account;
    private final Duration sendTimeout;

    SmtpSender(Vertx vertx, RelayConfig relay, RelayConfig.Smtp smtp) {
        this.client = smtp.host().map(host -> MailClient.create(vertx, mailConfig(host, smtp))).orElse(null);
        this.account = smtp.username().flatMap(u -> Address.parse(u, false));
        this.sendTimeout = relay.sendTimeout();
    }

    /** The SMTP account as an address, when SMTP_USERNAME is one (it is not for SES or SendGrid). */
    Optional<Address> account() {
        return account;
    }

    /** Sends one message; the item is its Message-ID, the failure a {@link RelayException}. */
    Uni<String> send(Notification n, Address from, Address to, String messageId) {
        MailMessage message = new MailMessage()
                .setFrom(from.header())
                .setBounceAddress(account.orElse(from).addrSpec())
                .setTo(to.addrSpec())
                .setSubject(n.subject())
                .setText(n.text() == null || n.text().isEmpty() ? null : n.text())
                .setHtml(n.html() == null || n.html().isEmpty() ? null : n.html())
                .addHeader("Message-ID", messageId);
        if (client == null) {
            Log.infof("SMTP_HOST is not set: not sending %s to ***@%s from %s (%d chars text, %d chars html)",
                    n.messageType(), to.domain(), from.addrSpec(), length(n.text()), length(n.html()));
            return Uni.createFrom().item(messageId);
        }
        return client.sendMail(message)
                .ifNoItem().after(sendTimeout)
                .failWith(() -> new SmtpTimeout("the SMTP server did not finish within " + sendTimeout.toMillis() + " ms"))
                .onFailure().transform(RelayException::fromSmtp)
                .replaceWith(messageId);
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    private static MailConfig mailConfig(String host, RelayConfig.Smtp smtp) {
        MailConfig config = new MailConfig()
                .setHostname(host)
                .setPort(smtp.port())
                .setConnectTimeout((int) smtp.connectTimeout().toMillis())
                .setSslHandshakeTimeout(smtp.connectTimeout().toMillis())
                .setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                // Left unset on purpose: the mail client then verifies host names ("HTTPS") whenever
                // TLS is on, while an explicit value is replaced by "" (no verification) in 4.5.
                .setTrustAll(false)
                .setKeepAlive(false)
                .setMultiPartOnly(false);
        switch (smtp.tls()) {
            case STARTTLS -> config.setStarttls(StartTLSOptions.REQUIRED).setSsl(false);
            case IMPLICIT -> config.setStarttls(StartTLSOptions.DISABLED).setSsl(true);
            case NONE -> config.setStarttls(StartTLSOptions.DISABLED).setSsl(false);
        }
        smtp.username().ifPresentOrElse(
                user -> config.setLogin(LoginOption.REQUIRED).setAuthMethods("PLAIN LOGIN")
                        .setUsername(user).setPassword(smtp.password().orElse("")),
                () -> config.setLogin(LoginOption.DISABLED));
        smtp.caFile().ifPresent(file -> config.setTrustOptions(TrustOptions.wrap(trustWithExtra(file))));
        return config;
    }

    /** The JVM's public CAs plus the PEM file's certificates: adding a private CA must not drop the public ones. */
    private static TrustManagerFactory trustWithExtra(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jvm.init((KeyStore) null);
            int i = 0;
            for (var tm : jvm.getTrustManagers()) {
                if (tm instanceof X509TrustManager x509) {
                    for (X509Certificate ca : x509.getAcceptedIssuers()) {
                        store.setCertificateEntry("jvm-" + i++, ca);
                    }
                }
            }
            int extra = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("extra-" + extra++, cert);
            }
            if (extra == 0) {
                throw new IllegalStateException("SMTP_CA_FILE " + pem + " holds no PEM certificate");
            }
            TrustManagerFactory combined = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            combined.init(store);
            return combined;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("SMTP_CA_FILE " + pem + " cannot be read as PEM certificates: " + e.getMessage());
        }
    }
}
