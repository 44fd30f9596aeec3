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

import dev.mailrelay.smtp.SmtpConfig.TlsMode;


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

    private final SmtpConfig smtp;
    /** The EHLO name sending uses, so diagnostics tests what the server will see. */
    private final String ehlo;
    /** Its own sign-in (an OAuth token cache of its own): diagnostics asks the token endpoint afresh each time. */
    private final SignIn signIn;

    SmtpDiagnostics(SendPolicy policy, SmtpConfig smtp, SecretSource secrets, com.fasterxml.jackson.databind.ObjectMapper json) {
        this.smtp = smtp;
        this.signIn = SignIn.primary(smtp, secrets, json);
        this.ehlo = "EHLO " + SmtpRoute.heloName(smtp.heloName(), policy.sendingAddresses(), smtp.username());
    }

    /** Walks the server; every wait ends by {@code deadline} (the invocation's), which ends the walk as a failed stage. */
    public Report run(java.time.Instant deadline) {
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
        try (Socket plain = new Socket()) {
            long start = System.nanoTime();
            try {
                plain.connect(new InetSocketAddress(addresses[0], smtp.port()),
                        (int) Math.min(smtp.connectTimeout().toMillis(), remaining(deadline)));
                stages.add(new Stage("tcp", true, "connected to " + addresses[0].getHostAddress() + ":" + smtp.port() + " in "
                        + (System.nanoTime() - start) / 1_000_000 + " ms", null));
            } catch (IOException e) {
                stages.add(new Stage("tcp", false, "cannot connect to port " + smtp.port() + " (" + e.getMessage()
                        + "): check SMTP_PORT, the firewall and the security group", null));
                return report;
            }
            Conversation c = new Conversation(plain, smtp.commandTimeout().toMillis(), deadline);
            if (smtp.tls() == TlsMode.IMPLICIT) {
                c = tls(c, plain, host, stages);
                if (c == null) {
                    return report;
                }
            }
            if (!c.expect("greeting", 220, stages, null)) {
                return report;
            }
            if (!c.command("ehlo", ehlo, 250, stages)) {
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
                if (c == null || !c.command("ehlo", ehlo, 250, stages)) {
                    return report;
                }
            }
            if (smtp.username().isPresent() && !auth(c, stages, deadline)) {
                return report;
            }
            c.send("QUIT");
            return new Report(host, smtp.port(), report.tls(), true, stages);
        } catch (java.net.SocketTimeoutException e) {
            stages.add(new Stage("conversation", false, "the server did not answer in time (SMTP_COMMAND_TIMEOUT, or the "
                    + "invocation's deadline)", null));
            return report;
        } catch (IOException e) {
            stages.add(new Stage("conversation", false, "the connection failed: " + e.getClass().getSimpleName(), null));
            return report;
        }
    }

    /** Signs in as sending does: the first mechanism of the sign-in's list that the server offers. */
    private boolean auth(Conversation c, List<Stage> stages, java.time.Instant deadline) throws IOException {
        List<String> offered = offeredMechanisms(c.lastReply);
        String mechanism = signIn.mechanisms().stream().filter(offered::contains).findFirst().orElse(null);
        if (mechanism == null) {
            stages.add(new Stage("auth", false, "the server offers no AUTH mechanism SMTP_AUTH=" + smtp.auth().name().toLowerCase()
                    + " uses (" + String.join(", ", signIn.mechanisms()) + "); it offers " + (offered.isEmpty() ? "none" : String.join(", ", offered))
                    + (offered.contains("XOAUTH2") && !signIn.mechanisms().contains("XOAUTH2")
                            ? ": for Microsoft 365 or Google set SMTP_AUTH=microsoft or google" : ""), null));
            return false;
        }
        String user = smtp.username().get();
        if (mechanism.equals("XOAUTH2")) {
            return xoauth2(c, stages, user, deadline);
        }
        String password = signIn.secret(false, deadline);
        if (mechanism.equals("PLAIN")) {
            return c.command("auth", "AUTH PLAIN " + base64("\0" + user + "\0" + password), 235, stages, "AUTH PLAIN (credentials hidden)");
        }
        // One stage for the three steps of LOGIN; the user name and password prompts are 334.
        for (String step : new String[] { "AUTH LOGIN", base64(user) }) {
            c.send(step);
            String reply = c.reply();
            if (reply == null || !reply.startsWith("334")) {
                stages.add(new Stage("auth", false, "sent AUTH LOGIN (credentials hidden); expected 334: the server refused "
                        + "the login, check SMTP_USERNAME and SMTP_PASSWORD", c.lastReply));
                return false;
            }
        }
        return c.command("auth", base64(password), 235, stages, "AUTH LOGIN (credentials hidden)");
    }

    /** A token stage (the endpoint's own words on failure), then AUTH XOAUTH2, decoding Google's challenge. */
    private boolean xoauth2(Conversation c, List<Stage> stages, String user, java.time.Instant deadline) throws IOException {
        String token;
        try {
            token = signIn.secret(true, deadline);
        } catch (dev.mailrelay.oauth.TokenFailure e) {
            stages.add(new Stage("token", false, "SMTP_AUTH=" + smtp.auth().name().toLowerCase() + ": " + e.getMessage(), null));
            return false;
        }
        stages.add(new Stage("token", true, "SMTP_AUTH=" + smtp.auth().name().toLowerCase() + ": got an access token (hidden)", null));
        c.send("AUTH XOAUTH2 " + base64("user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001"));
        String reply = c.reply();
        if (reply != null && reply.startsWith("334")) {
            String challenge;
            try {
                challenge = new String(Base64.getDecoder().decode(reply.substring(4).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                challenge = reply;
            }
            c.send(""); // the protocol's answer to the challenge; the server then says 535
            c.reply();
            stages.add(new Stage("auth", false, "sent AUTH XOAUTH2 (token hidden); the server refused the token: " + challenge
                    + " (check the app's permission and the mailbox's delegation, docs/providers.md)", c.lastReply));
            return false;
        }
        boolean ok = reply != null && reply.startsWith("235");
        stages.add(new Stage("auth", ok, "sent AUTH XOAUTH2 (token hidden); " + (ok ? "answered as expected"
                : "the server refused the token (check the app's permission and the mailbox, docs/providers.md)"), c.lastReply));
        return ok;
    }

    static List<String> offeredMechanisms(String ehloReply) {
        for (String line : ehloReply.split("\n")) {
            String text = line.length() > 4 ? line.substring(4).trim().toUpperCase(java.util.Locale.ROOT) : "";
            if (text.startsWith("AUTH ") || text.startsWith("AUTH=")) {
                return List.of(text.substring(5).trim().split("\\s+"));
            }
        }
        return List.of();
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static long remaining(java.time.Instant deadline) {
        return Math.max(1, java.time.Duration.between(java.time.Instant.now(), deadline).toMillis());
    }

    /** Upgrades to TLS with the relay's own trust and host name check; null (with a failed stage) if it fails. */
    private Conversation tls(Conversation c, Socket plain, String host, List<Stage> stages) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            TrustManagerFactory trust = smtp.caFile().map(TrustStores::withExtra).orElse(null);
            context.init(null, trust == null ? null : trust.getTrustManagers(), null);
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, host, smtp.port(), true);
            SSLParameters parameters = tls.getSSLParameters();
            // The Lambda runtime client re-enables TLS 1.0/1.1 JVM-wide; the password never travels over them.
            parameters.setProtocols(SmtpRoute.TLS_PROTOCOLS.toArray(String[]::new));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setServerNames(List.of(new SNIHostName(host)));
            tls.setSSLParameters(parameters);
            tls.startHandshake();
            X509Certificate cert = (X509Certificate) tls.getSession().getPeerCertificates()[0];
            stages.add(new Stage("tls", true, tls.getSession().getProtocol() + " " + tls.getSession().getCipherSuite()
                    + "; certificate " + cert.getSubjectX500Principal().getName() + " issued by "
                    + cert.getIssuerX500Principal().getName() + ", valid until " + cert.getNotAfter().toInstant()
                    + "; host name " + host + " verified", null));
            return new Conversation(tls, c.commandTimeoutMillis, c.deadline);
        } catch (IOException | GeneralSecurityException e) {
            stages.add(new Stage("tls", false, "TLS failed: " + e.getMessage() + " (untrusted certificate: set SMTP_CA_FILE for a "
                    + "private CA; host name mismatch: SMTP_HOST must be a name on the certificate; the relay needs TLS 1.2 "
                    + "or 1.3)", null));
            return null;
        }
    }

    /**
     * A line-oriented SMTP exchange on one socket; keeps the last reply for capability checks. Each
     * reply is awaited for the command timeout at most, and never past the invocation's deadline.
     */
    private static final class Conversation {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;
        final long commandTimeoutMillis;
        final java.time.Instant deadline;
        String lastReply = "";

        Conversation(Socket socket, long commandTimeoutMillis, java.time.Instant deadline) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            this.out = socket.getOutputStream();
            this.commandTimeoutMillis = commandTimeoutMillis;
            this.deadline = deadline;
        }

        void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        boolean command(String stage, String line, int expected, List<Stage> stages) throws IOException {
            return command(stage, line, expected, stages, line);
        }

        boolean command(String stage, String line, int expected, List<Stage> stages, String shown) throws IOException {
            send(line);
            return expect(stage, expected, stages, shown);
        }

        boolean expect(String stage, int expected, List<Stage> stages, String sent) throws IOException {
            String last = reply();
            if (last == null) {
                stages.add(new Stage(stage, false, "the server closed the connection", lastReply));
                return false;
            }
            boolean ok = last.startsWith(String.valueOf(expected));
            stages.add(new Stage(stage, ok, Optional.ofNullable(sent).map(s -> "sent " + s + "; ").orElse("")
                    + (ok ? "answered as expected" : "expected " + expected + hint(stage)), lastReply));
            return ok;
        }

        /** The last line of the next reply (null when the server closed); all its lines, redacted, in {@link #lastReply}. */
        String reply() throws IOException {
            socket.setSoTimeout((int) Math.min(commandTimeoutMillis, remaining(deadline)));
            List<String> lines = new ArrayList<>();
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    lastReply = Addresses.redact(String.join("\n", lines));
                    return null;
                }
                lines.add(line);
            } while (line.length() > 3 && line.charAt(3) == '-');
            lastReply = Addresses.redact(String.join("\n", lines));
            return line;
        }

        private static String hint(String stage) {
            return stage.equals("auth") ? ": the server refused the login, check SMTP_USERNAME and SMTP_PASSWORD" : "";
        }
    }
}
