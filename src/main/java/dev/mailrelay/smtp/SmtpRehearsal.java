package dev.mailrelay.smtp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.vertx.core.net.TrustOptions;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.mail.MailClient;

/**
 * Before a SnapStart snapshot: one whole conversation of the mail client as the relay configures
 * it (connect, EHLO, STARTTLS with a TLS 1.2+ handshake that checks the certificate and host name,
 * EHLO, AUTH, then MAIL, RCPT, DATA and RSET for each mail, QUIT) with a server of its own on loopback, so the TLS, Netty and
 * mail-client code of a first send is loaded and compiled in the snapshot. A throwaway certificate
 * and password; nothing leaves the machine, and every socket is closed before it returns.
 */
final class SmtpRehearsal {

    private SmtpRehearsal() {
    }

    /** Sends {@code message} {@code mails} times over one connection (kept alive between them, so RSET too). */
    static void run(Vertx vertx, MailConfig like, MailMessage message, Duration limit, int mails) throws Exception {
        ThrowawayCertificate certificate = ThrowawayCertificate.localhost();
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(certificate.keys.getKeyManagers(), null, null);
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> serve(listener, serverTls, limit), "smtp-rehearsal");
            server.setDaemon(true);
            server.start();
            MailConfig config = new MailConfig(like).setHostname("localhost").setPort(listener.getLocalPort())
                    .setStarttls(StartTLSOptions.REQUIRED).setSsl(false).setLogin(LoginOption.REQUIRED)
                    .setUsername("rehearsal").setPassword("rehearsal").setAuthMethods("PLAIN")
                    .setTrustOptions(TrustOptions.wrap(certificate.trust)).setKeepAlive(mails > 1);
            MailClient client = MailClient.create(vertx, config);
            ConnectionHandlers.install(client.getDelegate());
            try {
                for (int i = 0; i < mails; i++) {
                    client.sendMail(message).await().atMost(limit);
                }
            } finally {
                client.close().await().atMost(limit);
            }
            server.join(limit.toMillis());
        }
    }

    /** The server's half: just enough SMTP for one message (RFC 5321, RFC 3207 STARTTLS). */
    private static void serve(ServerSocket listener, SSLContext tls, Duration limit) {
        try (Socket plain = listener.accept()) {
            plain.setSoTimeout((int) limit.toMillis());
            // The replies to a pipelined envelope go out one write each: with Nagle's algorithm the
            // second waited for the client's delayed ACK, 40 ms a mail (52 s of priming instead of 8).
            plain.setTcpNoDelay(true);
            Socket socket = plain;
            BufferedReader in = reader(socket);
            OutputStream out = socket.getOutputStream();
            reply(out, "220 localhost ESMTP rehearsal");
            boolean secure = false;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String verb = line.length() < 4 ? line : line.substring(0, 4).toUpperCase(Locale.ROOT);
                switch (verb) {
                    case "EHLO" -> reply(out, secure ? "250-localhost\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME"
                            : "250-localhost\r\n250-STARTTLS\r\n250 8BITMIME");
                    case "STAR" -> {
                        reply(out, "220 2.0.0 ready for TLS");
                        SSLSocket upgraded = (SSLSocket) tls.getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
                        upgraded.setUseClientMode(false);
                        upgraded.startHandshake();
                        socket = upgraded;
                        in = reader(upgraded);
                        out = upgraded.getOutputStream();
                        secure = true;
                    }
                    case "AUTH" -> {
                        if (line.strip().split(" ").length == 2) { // no initial response: ask for it
                            reply(out, "334 ");
                            in.readLine();
                        }
                        reply(out, "235 2.7.0 accepted");
                    }
                    case "DATA" -> {
                        reply(out, "354 end with <CRLF>.<CRLF>");
                        for (String data = in.readLine(); data != null && !data.equals("."); data = in.readLine()) {
                            // the message is dropped
                        }
                        reply(out, "250 2.0.0 queued");
                    }
                    case "QUIT" -> {
                        reply(out, "221 2.0.0 bye");
                        return;
                    }
                    default -> reply(out, "250 2.0.0 ok");
                }
            }
        } catch (IOException e) {
            // the client's side of the rehearsal reports what went wrong
        }
    }

    private static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
    }

    private static void reply(OutputStream out, String lines) throws IOException {
        out.write((lines + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }
}
