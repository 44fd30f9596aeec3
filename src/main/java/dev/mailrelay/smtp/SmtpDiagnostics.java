package dev.mailrelay.smtp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import jakarta.inject.Singleton;

import dev.mailrelay.RelayConfig.TlsMode;

import dev.mailrelay.Address;
import dev.mailrelay.RelayConfig;
import dev.mailrelay.Secrets;

/**
 * Walks the primary SMTP server stage by stage, DNS → TCP → TLS → EHLO → AUTH, and reports each
 * with the server's own words, so that a wrong host, an untrusted certificate and a wrong password
 * are told apart in seconds. It sends no mail (it ends with QUIT) and never reports the password.
 */
@Singleton
public class SmtpDiagnostics {

    /** One stage: whether it passed, what the relay saw, and what the server said (addresses redacted). */
    public record Stage(String stage, boolean ok, String detail, String serverSays) {
    }

    /** The walk for one server; {@code ok} when every stage passed. */
    public record Report(String host, int port, String tls, boolean ok, List<Stage> stages) {
    }

    private final RelayConfig.Smtp smtp;
    private final Secrets secrets;

    SmtpDiagnostics(RelayConfig.Smtp smtp, Secrets secrets) {
        this.smtp = smtp;
        this.secrets = secrets;
    }

    public Report run() {
        String host = smtp.host().orElse("");
        List<Stage> stages = new ArrayList<>();
        Report report = new Report(host, smtp.port(), smtp.tls().name().toLowerCase(), false, stages);
        if (host.isEmpty()) {
            stages.add(new Stage("config", false, "SMTP_HOST is not set", null));
            return report;
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
            stages.add(new Stage("dns", true, host + " resolves to " + Arrays.stream(addresses).map(InetAddress::getHostAddress)
                    .collect(Collectors.joining(", ")), null));
        } catch (UnknownHostException e) {
            stages.add(new Stage("dns", false, host + " does not resolve: check SMTP_HOST", null));
            return report;
        }
        int timeout = (int) smtp.commandTimeout().toMillis();
        try (Socket plain = new Socket()) {
            long start = System.nanoTime();
            try {
                plain.connect(new InetSocketAddress(addresses[0], smtp.port()), (int) smtp.connectTimeout().toMillis());
                plain.setSoTimeout(timeout);
                stages.add(new Stage("tcp", true, "connected to " + addresses[0].getHostAddress() + ":" + smtp.port() + " in "
                        + (System.nanoTime() - start) / 1_000_000 + " ms", null));
            } catch (IOException e) {
                stages.add(new Stage("tcp", false, "cannot connect to port " + smtp.port() + " (" + e.getMessage()
                        + "): check SMTP_PORT, the firewall and the security group", null));
                return report;
            }
            Conversation c = new Conversation(plain);
            if (smtp.tls() == TlsMode.IMPLICIT) {
                c = tls(c, plain, host, stages);
                if (c == null) {
                    return report;
                }
            }
            if (!c.expect("greeting", 220, stages, null)) {
                return report;
            }
            if (!c.command("ehlo", "EHLO relay.invalid", 250, stages)) {
                return report;
            }
            if (smtp.tls() == TlsMode.STARTTLS) {
                if (!c.lastReply.toUpperCase().contains("STARTTLS")) {
                    stages.add(new Stage("starttls", false, "the server does not offer STARTTLS; use SMTP_TLS=implicit with port 465, "
                            + "or another port", c.lastReply));
                    return report;
                }
                if (!c.command("starttls", "STARTTLS", 220, stages)) {
                    return report;
                }
                c = tls(c, plain, host, stages);
                if (c == null || !c.command("ehlo", "EHLO relay.invalid", 250, stages)) {
                    return report;
                }
            }
            if (smtp.username().isPresent()) {
                String password = secrets.smtpPassword(false).orElse("");
                String plainAuth = Base64.getEncoder().encodeToString(("\0" + smtp.username().get() + "\0" + password)
                        .getBytes(StandardCharsets.UTF_8));
                if (!c.command("auth", "AUTH PLAIN " + plainAuth, 235, stages)) {
                    return report;
                }
            }
            c.send("QUIT");
            return new Report(host, smtp.port(), report.tls(), true, stages);
        } catch (IOException e) {
            stages.add(new Stage("conversation", false, "the connection failed: " + Address.redact(e.getMessage()), null));
            return report;
        }
    }

    /** Upgrades to TLS with the relay's own trust and host name check; null (with a failed stage) if it fails. */
    private Conversation tls(Conversation c, Socket plain, String host, List<Stage> stages) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            TrustManagerFactory trust = smtp.caFile().map(TrustStores::withExtra).orElse(null);
            context.init(null, trust == null ? null : trust.getTrustManagers(), null);
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, host, smtp.port(), true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setServerNames(List.of(new SNIHostName(host)));
            tls.setSSLParameters(parameters);
            tls.startHandshake();
            X509Certificate cert = (X509Certificate) tls.getSession().getPeerCertificates()[0];
            stages.add(new Stage("tls", true, tls.getSession().getProtocol() + " " + tls.getSession().getCipherSuite()
                    + "; certificate " + cert.getSubjectX500Principal().getName() + " issued by "
                    + cert.getIssuerX500Principal().getName() + ", valid until " + cert.getNotAfter().toInstant()
                    + "; host name " + host + " verified", null));
            return new Conversation(tls);
        } catch (IOException | GeneralSecurityException e) {
            stages.add(new Stage("tls", false, "TLS failed: " + e.getMessage() + " (untrusted certificate: set SMTP_CA_FILE for a "
                    + "private CA; host name mismatch: SMTP_HOST must be a name on the certificate)", null));
            return null;
        }
    }

    /** A line-oriented SMTP exchange on one socket; keeps the last reply for capability checks. */
    private static final class Conversation {
        private final BufferedReader in;
        private final OutputStream out;
        String lastReply = "";

        Conversation(Socket socket) throws IOException {
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            this.out = socket.getOutputStream();
        }

        void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        boolean command(String stage, String line, int expected, List<Stage> stages) throws IOException {
            send(line);
            return expect(stage, expected, stages, line.startsWith("AUTH") ? "AUTH PLAIN (credentials hidden)" : line);
        }

        boolean expect(String stage, int expected, List<Stage> stages, String sent) throws IOException {
            List<String> lines = new ArrayList<>();
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    stages.add(new Stage(stage, false, "the server closed the connection", String.join("\n", lines)));
                    return false;
                }
                lines.add(line);
            } while (line.length() > 3 && line.charAt(3) == '-');
            lastReply = Address.redact(String.join("\n", lines));
            boolean ok = line.startsWith(String.valueOf(expected));
            stages.add(new Stage(stage, ok, Optional.ofNullable(sent).map(s -> "sent " + s + "; ").orElse("")
                    + (ok ? "answered as expected" : "expected " + expected + hint(stage)), lastReply));
            return ok;
        }

        private static String hint(String stage) {
            return stage.equals("auth") ? ": the server refused the login, check SMTP_USERNAME and SMTP_PASSWORD" : "";
        }
    }
}
