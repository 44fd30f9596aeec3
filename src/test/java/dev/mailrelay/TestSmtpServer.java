package dev.mailrelay;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;

/**
 * A real SMTP server on loopback (subethasmtp) with STARTTLS required and AUTH required, whose
 * replies a test can script: a reply code at greeting, MAIL, RCPT or end of DATA, a failed AUTH,
 * an untrusted certificate, a slow answer after DATA, or no listener at all.
 */
final class TestSmtpServer {

    static final String USERNAME = "relay@mail.example.com";
    static final String PASSWORD = "test-only-smtp-password";

    /** What the server received, after it accepted the final ".". */
    record Received(String envelopeFrom, List<String> recipients, byte[] data) {
    }

    enum Stage { GREETING, MAIL, RCPT, DATA }

    /** Which certificate STARTTLS presents: trusted for localhost, not trusted, or trusted but for another host. */
    enum Certificate { TRUSTED, UNTRUSTED, WRONG_HOST }

    private final int port;
    private final java.util.Map<Certificate, SSLContext> certificates;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final boolean implicitTls;
    private volatile SMTPServer server;

    private volatile Stage failAt;
    private volatile int failCode;
    private volatile String failText;
    private volatile boolean rejectLogin;
    private volatile Certificate certificate = Certificate.TRUSTED;
    private volatile String authMechanism;
    private volatile Duration delayAfterData = Duration.ZERO;

    TestSmtpServer(java.util.Map<Certificate, Path> keyStores, String password, boolean implicitTls) throws Exception {
        this.implicitTls = implicitTls;
        this.certificates = new java.util.EnumMap<>(Certificate.class);
        for (var entry : keyStores.entrySet()) {
            certificates.put(entry.getKey(), sslContext(entry.getValue(), password));
        }
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = probe.getLocalPort();
        }
        start();
    }

    int port() {
        return port;
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    int connections() {
        return connections.get();
    }

    /** Back to a well-behaved server with an empty mailbox. */
    void reset() {
        failAt = null;
        rejectLogin = false;
        certificate = Certificate.TRUSTED;
        delayAfterData = Duration.ZERO;
        received.clear();
        connections.set(0);
        if (server == null || authMechanism != null) {
            authMechanism = null;
            restart();
        }
    }

    void failAt(Stage stage, int code, String text) {
        failAt = stage;
        failCode = code;
        failText = text;
    }

    void rejectLogin() {
        rejectLogin = true;
    }

    void present(Certificate certificate) {
        this.certificate = certificate;
    }

    /** Offers only this AUTH mechanism (PLAIN or LOGIN) from now until {@link #reset()}. */
    void offerOnly(String mechanism) {
        authMechanism = mechanism;
        restart();
    }

    private void restart() {
        if (server != null) {
            server.stop();
        }
        start();
    }

    void delayAfterData(Duration delay) {
        delayAfterData = delay;
    }

    /** Stops listening, so connecting is refused; {@link #reset()} listens again. */
    void refuseConnections() {
        server.stop();
        server = null;
    }

    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private void start() {
        SMTPServer.Builder builder = SMTPServer.port(port)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("localhost")
                .requireAuth();
        if (implicitTls) {
            builder.serverSocketFactory(certificates.get(certificate));
        } else {
            builder.enableTLS().requireTLS().startTlsSocketFactory(this::startTls);
        }
        SMTPServer s = builder
                .authenticationHandlerFactory(authentication())
                .sessionHandler(new Greeting())
                .messageHandlerFactory(Handler::new)
                .build();
        s.start();
        server = s;
    }

    private org.subethamail.smtp.AuthenticationHandlerFactory authentication() {
        if ("PLAIN".equals(authMechanism)) {
            return new org.subethamail.smtp.auth.PlainAuthenticationHandlerFactory(this::login);
        }
        if ("LOGIN".equals(authMechanism)) {
            return new org.subethamail.smtp.auth.LoginAuthenticationHandlerFactory(this::login);
        }
        return new EasyAuthenticationHandlerFactory(this::login);
    }

    private SSLSocket startTls(Socket socket) throws IOException {
        SSLContext context = certificates.get(certificate);
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
        SSLSocket tls = (SSLSocket) context.getSocketFactory()
                .createSocket(socket, remote.getHostString(), socket.getPort(), true);
        tls.setUseClientMode(false);
        return tls;
    }

    private void login(String username, String password, MessageContext context) throws LoginFailedException {
        if (rejectLogin || !USERNAME.equals(username) || !PASSWORD.equals(password)) {
            throw new LoginFailedException("5.7.8 Authentication credentials invalid");
        }
    }

    private final class Greeting implements SessionHandler {
        @Override
        public SessionAcceptance accept(Session session) {
            connections.incrementAndGet();
            return failAt == Stage.GREETING ? SessionAcceptance.failure(failCode, failText) : SessionAcceptance.success();
        }

        @Override
        public void onSessionEnd(Session session) {
        }
    }

    private final class Handler implements MessageHandler {
        private String from;
        private final List<String> recipients = new ArrayList<>();

        Handler(MessageContext context) {
        }

        @Override
        public void from(String from) throws RejectException {
            reject(Stage.MAIL);
            this.from = from;
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            reject(Stage.RCPT);
            recipients.add(recipient);
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            byte[] bytes = data.readAllBytes();
            sleep(delayAfterData);
            reject(Stage.DATA);
            received.add(new Received(from, List.copyOf(recipients), bytes));
            return null;
        }

        @Override
        public void done() {
        }

        private void reject(Stage stage) throws RejectException {
            if (failAt == stage) {
                throw new RejectException(failCode, failText);
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static SSLContext sslContext(Path p12, String password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            store.load(in, password.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, password.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }
}
