package dev.mailrelay.oauth;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;

import dev.mailrelay.aws.Endpoints;

/**
 * OAuth 2.0 access tokens for one SMTP account: fetched on first use (never during init, so
 * never in a SnapStart snapshot), kept per instance and renewed five minutes before they expire,
 * so one token serves many mails. Each call is bounded by the request's deadline.
 */
public final class AccessTokens {

    private static final Duration RENEW_BEFORE = Duration.ofMinutes(5);
    private static final Duration CONNECT = Duration.ofSeconds(3);
    private static final Duration READ = Duration.ofSeconds(5);
    /** Below this there is no point in asking: the SMTP conversation still needs time too. */
    private static final Duration LEAST = Duration.ofMillis(300);
    private static final int MAX_ANSWER = 64 * 1024;
    /** How much of a provider's error_description an answer quotes. */
    private static final int MAX_DESCRIPTION = 400;

    private final Grant grant;
    private final ObjectMapper json;
    private final Clock clock;
    private String token;
    private Instant renewAt = Instant.MIN;

    public AccessTokens(Grant grant, ObjectMapper json, Clock clock) {
        this.grant = grant;
        this.json = json;
        this.clock = clock;
    }

    /**
     * The cached token, or a new one when there is none, it is about to expire, or {@code fresh}
     * (the SMTP server refused the cached one).
     *
     * @throws TokenFailure when none could be had by {@code deadline}
     */
    public synchronized String token(boolean fresh, Instant deadline) {
        Instant now = clock.instant();
        if (!fresh && token != null && now.isBefore(renewAt)) {
            return token;
        }
        Duration left = Duration.between(now, deadline);
        if (left.compareTo(LEAST) < 0) {
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "no time was left to ask " + host() + " for an access token");
        }
        Map<String, String> form;
        try {
            form = grant.form(now);
        } catch (IllegalArgumentException e) {
            // A key or endpoint that cannot be used: a configuration an admin fixes. The text names the field, not its value.
            throw new TokenFailure(TokenFailure.Kind.REFUSED, e.getMessage());
        }
        JsonNode answer = post(form, left);
        String accessToken = answer.path("access_token").textValue();
        if (accessToken == null || accessToken.isEmpty()) {
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "the token endpoint " + host() + " answered without an access_token");
        }
        long lifetime = answer.path("expires_in").asLong(3600);
        token = accessToken;
        renewAt = now.plusSeconds(lifetime).minus(RENEW_BEFORE);
        Log.infof("fetched an OAuth access token from %s, valid for %d s", host(), lifetime);
        return token;
    }

    /** Drops the cached token (tests). */
    public synchronized void forget() {
        token = null;
        renewAt = Instant.MIN;
    }

    private JsonNode post(Map<String, String> form, Duration left) {
        byte[] body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&")).getBytes(StandardCharsets.US_ASCII);
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) grant.tokenUrl().toURL().openConnection();
            Endpoints.restrictTls(c);
            Duration connect = min(CONNECT, left.dividedBy(2));
            c.setConnectTimeout((int) connect.toMillis());
            c.setReadTimeout((int) min(READ, left.minus(connect)).toMillis());
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setInstanceFollowRedirects(false);
            c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
            c.setRequestProperty("Accept", "application/json");
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            JsonNode answer = read(status < 400 ? c.getInputStream() : c.getErrorStream());
            if (status == 200) {
                return answer;
            }
            if (status == 429 || status >= 500) {
                throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "the token endpoint " + host() + " answered " + status
                        + providerWords(answer) + "; try again later");
            }
            throw new TokenFailure(TokenFailure.Kind.REFUSED, "the token endpoint " + host() + " refused the grant (" + status + ")"
                    + providerWords(answer));
        } catch (SocketTimeoutException e) {
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "the token endpoint " + host() + " did not answer in time");
        } catch (IOException e) {
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "cannot reach the token endpoint " + host() + " ("
                    + e.getClass().getSimpleName() + ")");
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private JsonNode read(InputStream in) throws IOException {
        if (in == null) {
            return json.createObjectNode();
        }
        try (in) {
            byte[] bytes = in.readNBytes(MAX_ANSWER);
            try {
                return json.readTree(bytes);
            } catch (IOException notJson) {
                return json.createObjectNode();
            }
        }
    }

    /** ": invalid_client: AADSTS7000215: Invalid client secret provided. …", as the provider wrote it, cut and on one line. */
    private static String providerWords(JsonNode answer) {
        String error = answer.path("error").asText("");
        String description = answer.path("error_description").asText("").replaceAll("[\\p{Cntrl}]+", " ").strip();
        if (description.length() > MAX_DESCRIPTION) {
            description = description.substring(0, MAX_DESCRIPTION) + "…";
        }
        String words = error.replaceAll("[^A-Za-z0-9_.-]", "") + (description.isEmpty() ? "" : ": " + description);
        return words.isEmpty() ? "" : ": " + words;
    }

    private String host() {
        try {
            return grant.tokenUrl().getHost();
        } catch (IllegalArgumentException e) {
            return "(no usable token endpoint)";
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
