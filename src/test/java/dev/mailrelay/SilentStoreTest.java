package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Issue 13: a DynamoDB endpoint that accepts connections and never answers. Each call used to wait
 * 3 attempts × (2 s + 3 s); now every AWS call ends by the request's deadline (the 4 s budget of
 * the tests), so the relay still answers, retryable, and sends nothing unclaimed.
 */
@QuarkusTest
@TestProfile(SilentStoreTest.Silent.class)
class SilentStoreTest {

    public static class Silent implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SilentEndpoint.class));
        }
    }

    /** Accepts TCP connections on loopback and reads nothing, answers nothing; {@code for=secrets}: Secrets Manager's. */
    public static class SilentEndpoint implements QuarkusTestResourceLifecycleManager {
        private ServerSocket server;
        private final List<Socket> held = new CopyOnWriteArrayList<>();
        private String role = "store";

        @Override
        public void init(Map<String, String> args) {
            role = args.getOrDefault("for", "store");
        }

        @Override
        public Map<String, String> start() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        held.add(server.accept());
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "silent-endpoint");
            acceptor.setDaemon(true);
            acceptor.start();
            System.setProperty("aws.accessKeyId", "test");
            System.setProperty("aws.secretAccessKey", "test");
            System.setProperty("aws.region", "eu-west-1");
            String url = "http://127.0.0.1:" + server.getLocalPort();
            if (role.equals("secrets")) {
                return Map.of("relay.secret-arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:relay-AbCdEf",
                        "relay.secret", "", "relay.secrets-endpoint", url);
            }
            return Map.of("relay.idempotency.table", "silent", "relay.idempotency.endpoint", url);
        }

        @Override
        public void stop() {
            try {
                server.close();
                for (Socket s : held) {
                    s.close();
                }
            } catch (IOException ignored) {
                // closing a test endpoint
            }
        }
    }

    TestSmtpServer smtp;

    @Test
    void answersRetryableByTheDeadlineWhenTheStoreNeverAnswers() {
        smtp.reset();
        long started = System.nanoTime();
        Relay.post(Relay.notification()).statusCode(503).body("retryable", equalTo(true))
                .body("detail", containsString("idempotency store"));
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        // The deadline is the tests' 4 s budget, counted from when the endpoint starts (the first request
        // of a fresh application also loads its classes before that); without it the claim alone
        // waited 3 × (2 s + 3 s).
        assertThat(tookMillis).as("answered by the request's deadline, not after 15 s").isLessThan(8_000);
        assertThat(smtp.connections()).isZero();
    }
}
