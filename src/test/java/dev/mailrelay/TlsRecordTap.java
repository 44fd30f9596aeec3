package dev.mailrelay;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP relay between the SMTP client and the test server that counts the TLS records the
 * client sends after STARTTLS (RFC 8446 §5.1: a 5-byte header, then the length it gives). The
 * bytes pass unchanged; only their framing is observed, so the count is what a real server's
 * TLS layer would have to decrypt.
 */
final class TlsRecordTap implements AutoCloseable {

    private static final byte[] STARTTLS = "STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket listener;
    private final int target;
    private final AtomicInteger records = new AtomicInteger();

    TlsRecordTap(int targetPort) throws IOException {
        this.target = targetPort;
        this.listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "tls-record-tap");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** TLS records the client sent since the last {@link #reset}, over all connections. */
    int clientRecords() {
        return records.get();
    }

    void reset() {
        records.set(0);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                pump(server.getInputStream(), client.getOutputStream(), false, client, server);
                pump(client.getInputStream(), server.getOutputStream(), true, client, server);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(InputStream in, OutputStream out, boolean count, Socket a, Socket b) {
        Thread t = new Thread(() -> {
            RecordCounter counter = count ? new RecordCounter() : null;
            byte[] buffer = new byte[16 * 1024];
            try (a; b) {
                for (int n; (n = in.read(buffer)) >= 0;) {
                    if (counter != null) {
                        counter.feed(buffer, n);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed: both go
            }
        }, "tls-record-tap-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Plain SMTP until the client's STARTTLS line, then TLS record headers. */
    private final class RecordCounter {
        private int matched; // bytes of "STARTTLS\r\n" seen in a row
        private boolean tls;
        private final byte[] header = new byte[5];
        private int headerFill;
        private int bodyLeft;

        void feed(byte[] bytes, int length) {
            for (int i = 0; i < length; i++) {
                byte b = bytes[i];
                if (!tls) {
                    matched = b == STARTTLS[matched] ? matched + 1 : (b == STARTTLS[0] ? 1 : 0);
                    tls = matched == STARTTLS.length;
                } else if (bodyLeft > 0) {
                    int skip = Math.min(bodyLeft, length - i);
                    bodyLeft -= skip;
                    i += skip - 1;
                } else {
                    header[headerFill++] = b;
                    if (headerFill == header.length) {
                        headerFill = 0;
                        bodyLeft = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
                        records.incrementAndGet();
                    }
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
