package dev.mailrelay;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The Lambda Runtime API, as much of it as the Runtime Interface Client uses: it hands out
 * queued events with a deadline and collects the function's responses. Under SnapStart
 * ({@code AWS_LAMBDA_INITIALIZATION_TYPE=snap-start}) the client asks {@code restore/next} after
 * its beforeCheckpoint hooks; that answer, given when the first event is queued, stands for the
 * restore, and the client then runs its afterRestore hooks. Loopback only.
 */
final class LambdaRuntimeStandIn implements AutoCloseable {

    /** The function's answer to one invocation, and when it arrived (epoch millis). */
    record Invocation(String response, boolean error, long answeredAtMillis) {
    }

    private record Pending(String id, String event, long deadlineMillis) {
    }

    private final HttpServer server;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Map<String, CompletableFuture<Invocation>> answers = new ConcurrentHashMap<>();
    private final CompletableFuture<Long> firstPoll = new CompletableFuture<>();
    private final CompletableFuture<Long> restoreAsked = new CompletableFuture<>();
    private final CompletableFuture<Long> restored = new CompletableFuture<>();
    private final java.util.concurrent.CountDownLatch eventQueued = new java.util.concurrent.CountDownLatch(1);

    static {
        // The JDK server writes headers and body apart; with Nagle on, the client's delayed ACK adds
        // 40 ms to every exchange, which the real Runtime API does not.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    LambdaRuntimeStandIn() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/2018-06-01/runtime/", this::handle);
        server.setExecutor(Executors.newCachedThreadPool(task -> {
            Thread t = new Thread(task, "runtime-api-stand-in");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** host:port, the value of AWS_LAMBDA_RUNTIME_API. */
    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Queues one event; the future completes with the function's answer. */
    CompletableFuture<Invocation> invoke(String event, Duration timeout) {
        String id = UUID.randomUUID().toString();
        CompletableFuture<Invocation> answer = new CompletableFuture<>();
        answers.put(id, answer);
        queue.add(new Pending(id, event, System.currentTimeMillis() + timeout.toMillis()));
        eventQueued.countDown();
        return answer;
    }

    /** When the function first asked for an event (epoch millis): its init phase is over. */
    long firstPollAtMillis() {
        return firstPoll.getNow(-1L);
    }

    /** When the client asked restore/next (its snapshot point, beforeCheckpoint done), or -1. */
    long restoreAskedAtMillis() {
        return restoreAsked.getNow(-1L);
    }

    /** When restore/next was answered (the "restore"), or -1. */
    long restoredAtMillis() {
        return restored.getNow(-1L);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try (exchange) {
            if (path.endsWith("/restore/next")) {
                restoreAsked.complete(System.currentTimeMillis());
                eventQueued.await(); // restored when there is something to do, as Lambda restores on an invocation
                restored.complete(System.currentTimeMillis());
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            if (path.endsWith("/invocation/next")) {
                firstPoll.complete(System.currentTimeMillis());
                Pending next = queue.take();
                byte[] body = next.event().getBytes(StandardCharsets.UTF_8);
                var headers = exchange.getResponseHeaders();
                headers.add("Lambda-Runtime-Aws-Request-Id", next.id());
                headers.add("Lambda-Runtime-Deadline-Ms", String.valueOf(next.deadlineMillis()));
                headers.add("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:relay");
                headers.add("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000");
                // The client's native code expects these present, even empty.
                headers.add("Lambda-Runtime-Client-Context", "");
                headers.add("Lambda-Runtime-Cognito-Identity", "");
                headers.add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            String response = read(exchange.getRequestBody());
            String[] parts = path.split("/");
            if (path.contains("/invocation/") && parts.length >= 6) {
                CompletableFuture<Invocation> answer = answers.remove(parts[4]);
                if (answer != null) {
                    answer.complete(new Invocation(response, path.endsWith("/error"), System.currentTimeMillis()));
                }
            }
            exchange.sendResponseHeaders(202, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
