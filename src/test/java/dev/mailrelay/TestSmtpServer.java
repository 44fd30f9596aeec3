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
 * replies a test can script: a reply code at greeting, MAIL, RCPT or end of DATA, a failed AUTH
 * (slow, as Dovecot delays them), an untrusted certificate, a slow answer after DATA, or no
 * listener at all. It records the EHLO names, the logins tried and the sessions ended with QUIT.
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

    private volatile Fault fault;
    private final AtomicInteger faultsLeft = new AtomicInteger();
    private final AtomicInteger loginsLeftToReject = new AtomicInteger();
    private volatile Certificate certificate = Certificate.TRUSTED;
    private volatile String authMechanism;
    private volatile String password = PASSWORD;
    private final AtomicInteger dataCommands = new AtomicInteger();
    private final List<Session> sessions = new CopyOnWriteArrayList<>();
    private static final java.util.Set<Thread> sleepers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<String> heloNames = new CopyOnWriteArrayList<>();
    private final AtomicInteger logins = new AtomicInteger();
    private final AtomicInteger quits = new AtomicInteger();
    private volatile Duration loginFailureDelay = Duration.ZERO;
    private volatile String defaultMechanism;
    private volatile int sizeLimit;
    private volatile java.util.Set<String> acceptedTokens = java.util.Set.of();
    private volatile java.util.Random random;
    private volatile double randomFailure = 1.0;
    private volatile boolean pipelining = true;

    /** What goes wrong at a stage: a reply code, a reply and then a closed socket (421), a closed socket, a TCP reset, or silence. */
    enum Kind { REPLY, REPLY_AND_CLOSE, CLOSE, RESET, SILENCE }

    private record Fault(Stage stage, Kind kind, int code, String text, Duration silence) {
    }

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

    /** The names clients gave in EHLO (or HELO), one per mail transaction. */
    List<String> heloNames() {
        return List.copyOf(heloNames);
    }

    /** Logins the server checked (one per AUTH exchange that reached the password), refused ones included. */
    int logins() {
        return logins.get();
    }

    /** Sessions the client ended with QUIT (not by dropping the connection). */
    int quits() {
        return quits.get();
    }

    /** A refused login is answered only after this delay, as Dovecot's auth_failure_delay (2 s) does. */
    void delayLoginFailures(Duration delay) {
        loginFailureDelay = delay;
    }

    /**
     * Back to a well-behaved server with an empty mailbox and no open connection, so that the
     * relay's next message opens (and is counted as) a new one, whatever the last test left.
     */
    void reset() {
        sleepers.forEach(Thread::interrupt);
        try {
            closeOpenConnections();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        // And the relay under test (when it runs in this JVM) forgets its pooled connection.
        if (io.quarkus.arc.Arc.container() != null && io.quarkus.arc.Arc.container().isRunning()) {
            io.quarkus.arc.Arc.container().instance(dev.mailrelay.smtp.SmtpSender.class).get().disconnect();
        }
        fault = null;
        password = PASSWORD;
        randomFailure = 1.0;
        loginsLeftToReject.set(0);
        certificate = Certificate.TRUSTED;
        received.clear();
        heloNames.clear();
        logins.set(0);
        quits.set(0);
        loginFailureDelay = Duration.ZERO;
        pipelining = true;
        acceptedTokens = java.util.Set.of();
        connections.set(0);
        dataCommands.set(0);
        if (server == null || !java.util.Objects.equals(authMechanism, defaultMechanism) || sizeLimit != 0) {
            authMechanism = defaultMechanism;
            sizeLimit = 0;
            restart();
        }
    }

    /** Every attempt gets this reply at this stage. */
    void failAt(Stage stage, int code, String text) {
        failFirst(Integer.MAX_VALUE, stage, code, text);
    }

    /** Every attempt gets this reply at this stage, and then the server closes the connection, as with a 421. */
    void failAndCloseAt(Stage stage, int code, String text) {
        script(Integer.MAX_VALUE, new Fault(stage, Kind.REPLY_AND_CLOSE, code, text, Duration.ZERO));
    }

    /** The first {@code attempts} connections get this reply at this stage, later ones succeed. */
    void failFirst(int attempts, Stage stage, int code, String text) {
        script(attempts, new Fault(stage, Kind.REPLY, code, text, Duration.ZERO));
    }

    /**
     * Every attempt meets this fault (CLOSE, RESET or SILENCE) at this stage. A silence lasts until
     * the relay has surely given up, or until {@link #reset()} ends it (at the greeting it holds
     * subethasmtp's acceptor thread, which the next test needs).
     */
    void breakAt(Stage stage, Kind kind) {
        script(Integer.MAX_VALUE, new Fault(stage, kind, 0, null, Duration.ofSeconds(20)));
    }

    /** Each connection, with this probability (seeded, so a run can be repeated), gets this reply at this stage. */
    void failRandomly(double probability, long seed, Stage stage, int code, String text) {
        random = new java.util.Random(seed);
        randomFailure = probability;
        script(Integer.MAX_VALUE, new Fault(stage, Kind.REPLY, code, text, Duration.ZERO));
    }

    private void script(int attempts, Fault f) {
        faultsLeft.set(attempts);
        fault = f;
    }

    /** Closes every open connection, as a server does with idle ones (or as a Lambda finds them after a freeze). */
    void closeOpenConnections() throws IOException {
        for (Session session : sessions) {
            session.closeSocket();
        }
    }

    /** DATA commands the server saw: how many times a message was handed over, whatever came of it. */
    int dataCommands() {
        return dataCommands.get();
    }


    /** The account's password changes, as in a rotation; {@link #reset()} restores {@link #PASSWORD}. */
    void changePassword(String newPassword) {
        password = newPassword;
    }

    void rejectLogin() {
        loginsLeftToReject.set(Integer.MAX_VALUE);
    }

    void present(Certificate certificate) {
        this.certificate = certificate;
    }

    /**
     * From now on, and after every {@link #reset()}, offers only AUTH XOAUTH2 and accepts these
     * access tokens for {@link #USERNAME}; a refused token is answered as Microsoft 365 does
     * ({@code XOAUTH2_MICROSOFT}: 535 5.7.3) or as Google does ({@code XOAUTH2_GOOGLE}: a 334
     * challenge with a base64 JSON status, then 535 5.7.8 after the client's empty line).
     */
    void signInWithTokens(String style, java.util.Set<String> tokens) {
        acceptedTokens = tokens;
        defaultMechanism = style;
        authMechanism = style;
        restart();
    }

    /** Stops advertising PIPELINING (as a server without RFC 2920) until {@link #reset()}. */
    void withoutPipelining() {
        pipelining = false;
    }

    /** Advertises SIZE with this limit (octets) until {@link #reset()}. */
    void limitSize(int octets) {
        sizeLimit = octets;
        restart();
    }

    /** The access tokens accepted from now on (a revocation, a new token). */
    void acceptTokens(java.util.Set<String> tokens) {
        acceptedTokens = tokens;
    }

    /** Offers only this AUTH mechanism (PLAIN, LOGIN, XOAUTH2_MICROSOFT) from now until {@link #reset()}. */
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

    /** Answers the final "." only after {@code delay}, then accepts the message. */
    void delayAfterData(Duration delay) {
        script(Integer.MAX_VALUE, new Fault(Stage.DATA, Kind.SILENCE, 0, null, delay));
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
                .maxMessageSize(sizeLimit)
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
        s.getCommandHandler().addCommand(new Ehlo());
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
        if (authMechanism != null && authMechanism.startsWith("XOAUTH2")) {
            return new XOAuth2(authMechanism.equals("XOAUTH2_GOOGLE"));
        }
        return new EasyAuthenticationHandlerFactory(this::login);
    }

    private SSLSocket startTls(Socket socket) throws IOException {
        // A handshake flight in one go, as real servers send it: with Nagle's algorithm each record
        // after the first waited for the client's delayed ACK (40 ms per handshake).
        socket.setTcpNoDelay(true);
        SSLContext context = certificates.get(certificate);
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
        SSLSocket tls = (SSLSocket) context.getSocketFactory()
                .createSocket(socket, remote.getHostString(), socket.getPort(), true);
        tls.setUseClientMode(false);
        return tls;
    }

    private void login(String username, String password, MessageContext context) throws LoginFailedException {
        logins.incrementAndGet();
        if (loginsLeftToReject.getAndDecrement() > 0 || !USERNAME.equals(username) || !this.password.equals(password)) {
            sleep(loginFailureDelay);
            throw new LoginFailedException("5.7.8 Authentication credentials invalid");
        }
    }

    /**
     * subethasmtp's own EHLO reply plus PIPELINING (RFC 2920), which Postfix, Exchange Online and
     * Gmail all advertise; subethasmtp reads pipelined commands one line at a time anyway, it only
     * never says so. Otherwise the same capabilities in the same order (subethasmtp 7.2.2).
     */
    private final class Ehlo extends org.subethamail.smtp.internal.server.BaseCommand {
        Ehlo() {
            super("EHLO", "Introduce yourself.", "<hostname>");
        }

        @Override
        public void execute(String command, Session session) throws IOException {
            String[] args = getArgs(command);
            if (args.length < 2) {
                session.sendResponse("501 Syntax: EHLO hostname");
                return;
            }
            session.resetMailTransaction();
            session.setHelo(args[1]);
            SMTPServer s = session.getServer();
            StringBuilder reply = new StringBuilder("250-").append(s.getHostName()).append("\r\n250-8BITMIME");
            if (pipelining) {
                reply.append("\r\n250-PIPELINING");
            }
            if (s.getMaxMessageSize() > 0) {
                reply.append("\r\n250-SIZE ").append(s.getMaxMessageSize());
            }
            if (s.getEnableTLS() && !s.getHideTLS()) {
                reply.append("\r\n250-STARTTLS");
            }
            reply.append("\r\n250-CHUNKING\r\n250-SMTPUTF8");
            var auth = s.getAuthenticationHandlerFactory();
            boolean offerAuth = auth.isPresent() && (session.isTLSStarted() || !s.getRequireTLS() || s.getShowAuthCapabilitiesBeforeSTARTTLS());
            if (offerAuth && !auth.get().getAuthenticationMechanisms().isEmpty()) {
                reply.append("\r\n250-AUTH ").append(String.join(" ", auth.get().getAuthenticationMechanisms()));
            }
            session.sendResponse(reply.append("\r\n250 Ok").toString());
        }
    }

    private final class Greeting implements SessionHandler {
        @Override
        public SessionAcceptance accept(Session session) {
            connections.incrementAndGet();
            sessions.add(session);
            Fault f = take(Stage.GREETING);
            if (f == null) {
                return SessionAcceptance.success();
            }
            if (f.kind() == Kind.REPLY) {
                return SessionAcceptance.failure(f.code(), f.text());
            }
            breakConnection(session, f);
            return SessionAcceptance.success();
        }

        @Override
        public void onSessionEnd(Session session) {
            sessions.remove(session);
            if (quitting(session)) {
                quits.incrementAndGet();
            }
        }
    }

    /** AUTH XOAUTH2 (the initial response on the AUTH line, as clients send it), checked against the accepted tokens. */
    private final class XOAuth2 implements org.subethamail.smtp.AuthenticationHandlerFactory {
        private final boolean google;

        XOAuth2(boolean google) {
            this.google = google;
        }

        @Override
        public List<String> getAuthenticationMechanisms() {
            return List.of("XOAUTH2");
        }

        @Override
        public org.subethamail.smtp.AuthenticationHandler create() {
            return new org.subethamail.smtp.AuthenticationHandler() {
                private boolean challenged;

                @Override
                public java.util.Optional<String> auth(String line, MessageContext context) throws RejectException {
                    if (challenged) { // the client's empty line after Google's challenge
                        throw new RejectException(535, "5.7.8 Username and Password not accepted. For more information, go to "
                                + "https://support.google.com/mail/?p=BadCredentials");
                    }
                    String[] words = line.trim().split(" ");
                    if (words.length != 3) {
                        throw new RejectException(501, "5.5.2 XOAUTH2 wants its initial response on the AUTH line");
                    }
                    logins.incrementAndGet();
                    String response = new String(java.util.Base64.getDecoder().decode(words[2]), java.nio.charset.StandardCharsets.UTF_8);
                    for (String token : acceptedTokens) {
                        if (response.equals("user=" + USERNAME + "\u0001auth=Bearer " + token + "\u0001\u0001")) {
                            return java.util.Optional.empty();
                        }
                    }
                    sleep(loginFailureDelay);
                    if (google) {
                        challenged = true;
                        return java.util.Optional.of("334 " + java.util.Base64.getEncoder().encodeToString(
                                "{\"status\":\"401\",\"schemes\":\"bearer mac\",\"scope\":\"https://mail.google.com/\"}"
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    }
                    throw new RejectException(535, "5.7.3 Authentication unsuccessful [SN4PR0401CA0012.namprd04.prod.outlook.com]");
                }

                @Override
                public Object getIdentity() {
                    return USERNAME;
                }
            };
        }
    }

    /** Whether the session ended with QUIT: subethasmtp keeps that in a private flag. */
    private static boolean quitting(Session session) {
        try {
            java.lang.reflect.Field field = Session.class.getDeclaredField("quitting");
            field.setAccessible(true);
            return field.getBoolean(session);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("subethasmtp changed: no Session.quitting", e);
        }
    }

    /** The scripted fault for this stage, if any is left; each use counts as one failed attempt. */
    private Fault take(Stage stage) {
        Fault f = fault;
        if (f == null || f.stage() != stage) {
            return null;
        }
        if (randomFailure < 1.0 && random.nextDouble() >= randomFailure) {
            return null;
        }
        return faultsLeft.getAndDecrement() > 0 ? f : null;
    }

    private static void breakConnection(Session session, Fault f) {
        try {
            switch (f.kind()) {
                case SILENCE -> sleep(f.silence());
                case RESET -> {
                    session.getSocket().setSoLinger(true, 0);
                    session.closeSocket();
                }
                default -> session.closeSocket();
            }
        } catch (IOException e) {
            // the client is gone already: that is the point
        }
    }

    private final class Handler implements MessageHandler {
        private final Session session;
        private String from;
        private final List<String> recipients = new ArrayList<>();

        Handler(MessageContext context) {
            this.session = (Session) context;
        }

        @Override
        public void from(String from) throws RejectException {
            heloNames.add(session.getHelo().orElse(""));
            fail(Stage.MAIL);
            this.from = from;
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            fail(Stage.RCPT);
            recipients.add(recipient);
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            dataCommands.incrementAndGet();
            Fault f = take(Stage.DATA);
            if (f != null && f.kind() == Kind.RESET) {
                data.readNBytes(64); // mid-DATA: part of the message is in, the rest never comes
                breakConnection(session, f);
                throw new IOException("connection reset mid-DATA by the test");
            }
            byte[] bytes = data.readAllBytes();
            if (f != null && f.kind() == Kind.REPLY) {
                throw new RejectException(f.code(), f.text());
            }
            strictLines(bytes);
            parses(bytes);
            if (f != null && f.kind() == Kind.CLOSE) {
                breakConnection(session, f);
                throw new IOException("connection closed after DATA by the test");
            }
            if (f != null && !sleep(f.silence())) {
                // A silence ended by reset(): the message belongs to a test that is over, not to the next one.
                throw new IOException("silence ended by reset()");
            }
            received.add(new Received(from, List.copyOf(recipients), bytes));
            return null;
        }

        @Override
        public void done() {
        }

        private void fail(Stage stage) throws RejectException {
            Fault f = take(stage);
            if (f == null) {
                return;
            }
            if (f.kind() == Kind.REPLY) {
                throw new RejectException(f.code(), f.text());
            }
            if (f.kind() == Kind.REPLY_AND_CLOSE) {
                throw new org.subethamail.smtp.DropConnectionException(f.code(), f.text());
            }
            breakConnection(session, f);
            throw new RejectException(421, "4.4.2 test fault"); // not seen: the socket is gone or silent long enough
        }
    }

    /**
     * Runs the server's own checks of a message {@code times} over, so that its code is compiled
     * before a benchmark times a relay through it (the first relay measured would otherwise pay
     * for the server's warm-up).
     */
    static void warmUp(byte[] message, int times) throws RejectException {
        for (int i = 0; i < times; i++) {
            strictLines(message);
            parses(message);
        }
    }

    /**
     * As Postfix with smtpd_forbid_bare_newline = reject (the SMTP smuggling hardening), and
     * stricter on length: every line ends in CRLF and holds at most 998 octets (RFC 5322 2.1.1).
     */
    private static void strictLines(byte[] data) throws RejectException {
        int lineStart = 0;
        for (int i = 0; i < data.length; i++) {
            boolean lf = data[i] == '\n';
            if ((lf && (i == 0 || data[i - 1] != '\r')) || (data[i] == '\r' && (i + 1 == data.length || data[i + 1] != '\n'))) {
                throw new RejectException(550, "5.5.2 Error: bare <LF> received");
            }
            if (lf) {
                if (i - 1 - lineStart > 998) {
                    throw new RejectException(550, "5.5.2 Error: line longer than 998 octets");
                }
                lineStart = i + 1;
            }
        }
    }

    /** A scripted silence; {@link #reset()} interrupts it, and the thread goes on serving (its flag cleared). */
    /**
     * Every message must read back through a standard parser (Jakarta Mail, strict address
     * parsing): From, To and Subject decode, and each part's content is readable.
     */
    private static void parses(byte[] data) throws RejectException {
        try {
            jakarta.mail.internet.MimeMessage mime = new jakarta.mail.internet.MimeMessage(
                    jakarta.mail.Session.getInstance(new java.util.Properties()), new java.io.ByteArrayInputStream(data));
            jakarta.mail.internet.InternetAddress.parseHeader(mime.getHeader("From", ","), true);
            jakarta.mail.internet.InternetAddress.parseHeader(mime.getHeader("To", ","), true);
            mime.getSubject();
            Object content = mime.getContent();
            if (content instanceof jakarta.mail.Multipart parts) {
                for (int i = 0; i < parts.getCount(); i++) {
                    parts.getBodyPart(i).getContent();
                }
            }
        } catch (Exception e) {
            throw new RejectException(554, "5.6.0 the test's mail parser cannot read this message: " + e);
        }
    }

    /** False when {@link #reset()} cut the sleep short (the server thread then carries on). */
    private static boolean sleep(Duration d) {
        sleepers.add(Thread.currentThread());
        try {
            Thread.sleep(d.toMillis());
            return true;
        } catch (InterruptedException e) {
            return false;
        } finally {
            sleepers.remove(Thread.currentThread());
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
