package dev.mailrelay.aws;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The execution role's credentials and region, looked up the way the AWS SDK's default chain does
 * for a Lambda function: system properties (aws.accessKeyId…), then AWS_ACCESS_KEY_ID…, then the
 * container credentials endpoint, which is what Lambda offers instead of the variables when
 * SnapStart is on. Looked up on first use, never at start-up, so no snapshot holds them.
 */
@Singleton
public final class AwsCredentials {

    /** One set of keys; {@code sessionToken} is null for long-term keys. */
    public record Keys(String accessKeyId, String secretAccessKey, String sessionToken, Instant expiresAt) {
        @Override
        public String toString() {
            return "Keys[" + accessKeyId + ", secrets redacted]";
        }
    }

    private static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);

    private final UnaryOperator<String> env;
    private final UnaryOperator<String> properties;
    private final ObjectMapper json;
    private final Clock clock;
    private volatile Keys container;

    AwsCredentials(UnaryOperator<String> env, UnaryOperator<String> properties, ObjectMapper json, Clock clock) {
        this.env = env;
        this.properties = properties;
        this.json = json;
        this.clock = clock;
    }

    /** One instance for both AWS clients, so the container credentials are fetched and cached once. */
    @Inject
    public AwsCredentials(ObjectMapper json) {
        this(System::getenv, System::getProperty, json, Clock.systemUTC());
    }

    /** The region the function runs in (AWS_REGION on Lambda). */
    public String region() {
        String region = first(properties.apply("aws.region"), env.apply("AWS_REGION"), env.apply("AWS_DEFAULT_REGION"));
        if (region == null) {
            throw new AwsCallFailed("no AWS region: AWS_REGION is not set", null, -1, null);
        }
        return region;
    }

    public Keys keys() {
        if (properties.apply("aws.accessKeyId") != null) {
            return new Keys(properties.apply("aws.accessKeyId"), properties.apply("aws.secretAccessKey"),
                    properties.apply("aws.sessionToken"), null);
        }
        if (env.apply("AWS_ACCESS_KEY_ID") != null) {
            return new Keys(env.apply("AWS_ACCESS_KEY_ID"), env.apply("AWS_SECRET_ACCESS_KEY"), env.apply("AWS_SESSION_TOKEN"), null);
        }
        Keys cached = container;
        if (cached == null || clock.instant().isAfter(cached.expiresAt().minus(REFRESH_BEFORE_EXPIRY))) {
            cached = fetchContainerCredentials();
            container = cached;
        }
        return cached;
    }

    private Keys fetchContainerCredentials() {
        String uri = env.apply("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        if (uri == null) {
            throw new AwsCallFailed("no AWS credentials: neither AWS_ACCESS_KEY_ID nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
                    null, -1, null);
        }
        if (!Endpoints.allowed(URI.create(uri), true)) {
            // The SDKs' rule: credentials travel in the clear only to this machine or the container agent.
            throw new AwsCallFailed("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or container "
                    + "credentials address", null, -1, null);
        }
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create(uri).toURL().openConnection();
            Endpoints.restrictTls(connection);
            java.time.Duration left = Deadlines.left();
            int connect = Deadlines.bounded(2000, left == null ? null : left.dividedBy(2));
            connection.setConnectTimeout(connect);
            connection.setReadTimeout(Deadlines.bounded(2000, left == null ? null : left.minusMillis(connect)));
            String token = authorizationToken();
            if (token != null) {
                connection.setRequestProperty("Authorization", token);
            }
            int status = connection.getResponseCode();
            if (status != 200) {
                throw new AwsCallFailed("the container credentials endpoint answered " + status, null, status, null);
            }
            try (InputStream in = connection.getInputStream()) {
                JsonNode body = json.readTree(in);
                return new Keys(body.path("AccessKeyId").asText(), body.path("SecretAccessKey").asText(),
                        body.path("Token").asText(null), Instant.parse(body.path("Expiration").asText()));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof AwsCallFailed failed) {
                throw failed;
            }
            throw new AwsCallFailed("cannot read the container credentials: " + e.getClass().getSimpleName(), null, -1, e);
        }
    }

    private String authorizationToken() throws IOException {
        String file = env.apply("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
        return file != null ? Files.readString(Path.of(file)).strip() : env.apply("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }

    private static String first(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }
}
