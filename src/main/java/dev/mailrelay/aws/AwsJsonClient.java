package dev.mailrelay.aws;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

/**
 * A client for the AWS JSON protocol (DynamoDB, Secrets Manager): a signed POST of one JSON
 * document naming the operation in X-Amz-Target. Answers failing for a passing reason
 * (no answer, 5xx, throttling) are tried up to three times, as the SDK's standard retry mode does.
 */
public final class AwsJsonClient {

    private static final int ATTEMPTS = 3;
    private static final Set<String> THROTTLING = Set.of("ThrottlingException", "Throttling", "RequestLimitExceeded",
            "ProvisionedThroughputExceededException", "TooManyRequestsException", "RequestThrottledException");

    private final String service;
    private final String targetPrefix;
    private final String contentType;
    private final Optional<URI> endpoint;
    private final AwsCredentials credentials;
    private final ObjectMapper json;
    private final Clock clock;

    /**
     * @param service the signing name and endpoint prefix ("dynamodb")
     * @param targetPrefix the X-Amz-Target prefix ("DynamoDB_20120810")
     * @param jsonVersion the protocol version ("1.0" for DynamoDB, "1.1" for Secrets Manager)
     * @param endpoint an override (DynamoDB Local, a stand-in); empty uses the region's endpoint
     */
    public AwsJsonClient(String service, String targetPrefix, String jsonVersion, Optional<URI> endpoint, AwsCredentials credentials,
            ObjectMapper json) {
        this.service = service;
        this.targetPrefix = targetPrefix;
        this.contentType = "application/x-amz-json-" + jsonVersion;
        this.endpoint = endpoint.map(uri -> Endpoints.checked(uri, "the " + service + " endpoint override"));
        this.credentials = credentials;
        this.json = json;
        this.clock = Clock.systemUTC();
    }

    /** Calls {@code operation} with {@code request} (anything Jackson writes) and returns the answer. */
    public JsonNode call(String operation, Object request) {
        byte[] body;
        try {
            body = json.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the " + operation + " request", e);
        }
        for (int attempt = 1;; attempt++) {
            java.time.Duration left = Deadlines.left();
            if (left != null && left.compareTo(Deadlines.LEAST) < 0) {
                throw new AwsCallFailed(service + " " + operation + " not tried: the request's deadline is reached", null, -1, null);
            }
            try {
                return once(operation, body, left);
            } catch (AwsCallFailed e) {
                if (attempt >= ATTEMPTS || !passing(e)) {
                    throw e;
                }
                pause(attempt);
            }
        }
    }

    /** One call; its connect and read timeouts end by the request's deadline ({@code left}, null: none). */
    private JsonNode once(String operation, byte[] body, java.time.Duration left) {
        String region = credentials.region();
        URI uri = endpoint.orElseGet(() -> URI.create("https://" + service + "." + region + ".amazonaws.com"
                + (region.startsWith("cn-") ? ".cn" : "")));
        try {
            HttpURLConnection connection = (HttpURLConnection) uri.resolve("/").toURL().openConnection();
            Endpoints.restrictTls(connection);
            int connect = Deadlines.bounded(2000, left == null ? null : left.dividedBy(2));
            connection.setConnectTimeout(connect);
            connection.setReadTimeout(Deadlines.bounded(3000, left == null ? null : left.minusMillis(connect)));
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setFixedLengthStreamingMode(body.length);
            Map<String, String> headers = Map.of("content-type", contentType, "host", host(uri),
                    "x-amz-target", targetPrefix + "." + operation);
            headers.forEach((name, value) -> {
                if (!name.equals("host")) { // the connection writes Host itself, with this same value
                    connection.setRequestProperty(name, value);
                }
            });
            SigV4.sign(headers, body, credentials.keys(), region, service, clock.instant()).forEach(connection::setRequestProperty);
            try (OutputStream out = connection.getOutputStream()) {
                out.write(body);
            }
            int status = connection.getResponseCode();
            JsonNode answer = read(status < 400 ? connection.getInputStream() : connection.getErrorStream());
            if (status < 300) {
                return answer;
            }
            String type = errorType(answer, connection.getHeaderField("x-amzn-ErrorType"));
            throw new AwsCallFailed(service + " " + operation + " answered " + status + " " + type, type, status, answer, null);
        } catch (IOException e) {
            throw new AwsCallFailed(service + " " + operation + " got no answer: " + e.getClass().getSimpleName(), null, -1, e);
        }
    }

    private JsonNode read(InputStream in) throws IOException {
        if (in == null) {
            return MissingNode.getInstance();
        }
        try (in) {
            byte[] bytes = in.readAllBytes(); // read to the end, so the connection goes back to the keep-alive cache
            return bytes.length == 0 ? MissingNode.getInstance() : json.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JacksonException notJson) {
            return MissingNode.getInstance();
        }
    }

    private static String errorType(JsonNode answer, String header) {
        String type = answer.path("__type").asText(header == null ? "" : header.split(":")[0]);
        return type.substring(type.indexOf('#') + 1);
    }

    private static boolean passing(AwsCallFailed e) {
        return e.status() == -1 && e.getCause() != null || e.status() >= 500 || THROTTLING.contains(e.errorType());
    }

    private static String host(URI uri) {
        int port = uri.getPort();
        boolean defaultPort = port == -1 || ("https".equals(uri.getScheme()) ? port == 443 : port == 80);
        return defaultPort ? uri.getHost() : uri.getHost() + ":" + port;
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep((long) (25 * Math.pow(4, attempt - 1) * (0.5 + Math.random() / 2)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
