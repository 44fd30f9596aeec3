package dev.mailrelay.aws;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Before a SnapStart snapshot: signed AWS JSON calls (SigV4, the JDK's HTTP client, Jackson
 * both ways) answered by a server of its own on loopback, so the first claim and secret read after
 * a restore run compiled code. Throwaway keys, no AWS endpoint, no secret; the connection is
 * closed (not kept for reuse) before it returns.
 */
public final class AwsRehearsal {

    private AwsRehearsal() {
    }

    /** {@code calls} calls, each on a connection of its own (the stand-in closes each). */
    public static void run(ObjectMapper json, int calls) throws IOException, InterruptedException {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                for (int i = 0; i < calls; i++) {
                    serve(listener);
                }
            }, "aws-rehearsal");
            server.setDaemon(true);
            server.start();
            Map<String, String> env = Map.of("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKIAREHEARSAL",
                    "AWS_SECRET_ACCESS_KEY", "rehearsal", "AWS_SESSION_TOKEN", "rehearsal");
            AwsCredentials keys = new AwsCredentials(env::get, name -> null, json, Clock.systemUTC());
            AwsJsonClient client = new AwsJsonClient("dynamodb", "DynamoDB_20120810", "1.0",
                    Optional.of(URI.create("http://127.0.0.1:" + listener.getLocalPort())), keys, json);
            for (int i = 0; i < calls; i++) {
                client.call("GetItem", Map.of("TableName", "rehearsal", "Key", Map.of("id", Map.of("S", "rehearsal"))));
            }
            server.join(5000);
        }
    }

    private static void serve(ServerSocket listener) {
        try (Socket socket = listener.accept()) {
            socket.setSoTimeout(5000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            int length = 0;
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).strip());
                }
            }
            in.skip(length);
            socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 11\r\n"
                    + "Connection: close\r\n\r\n{\"Item\":{}}").getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            // the client's side reports what went wrong
        }
    }
}
