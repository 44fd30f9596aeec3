package dev.mailrelay.oauth;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;

/**
 * OAuth 2.0 access tokens for one SMTP account: fetched on first use (never during init, so
 * never in a SnapStart snapshot), kept per instance and renewed five minutes before they expire,
 * so one token serves many mails. Each call ends by the request's deadline, DNS, TLS and a slow
 * answer included; a renewal that fails while the cached token is still valid keeps using it.
 */
public final class AccessTokens {

    private static final Duration RENEW_BEFORE = Duration.ofMinutes(5);
    /** Below this there is no point in asking: the SMTP conversation still needs time too. */
    private static final Duration LEAST = Duration.ofMillis(300);
    private static final Duration LONGEST = Duration.ofSeconds(8);
    private static final int MAX_ANSWER = 64 * 1024;
    /** How much of a provider's error_description an answer quotes. */
    private static final int MAX_DESCRIPTION = 400;

    private final Grant grant;
    private final ObjectMapper json;
    private final Clock clock;
    private final HttpClient http = client();
    private String token;
    private Instant renewAt = Instant.MIN;
    private Instant expiresAt = Instant.MIN;
    private Instant fetchedAt = Instant.MIN;

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
        try {
            return fetch(deadline);
        } catch (TokenFailure e) {
            if (!fresh && e.kind() == TokenFailure.Kind.UNAVAILABLE && token != null && clock.instant().isBefore(expiresAt)) {
                Log.warnf("could not renew the OAuth access token (%s); the cached one is valid until %s", e.getMessage(), expiresAt);
                return token;
            }
            throw e;
        }
    }

    /** When the token in use was fetched (Instant.MIN: never). */
    public synchronized Instant fetchedAt() {
        return fetchedAt;
    }

    /** Drops the cached token (tests). */
    public synchronized void forget() {
        token = null;
        renewAt = Instant.MIN;
        expiresAt = Instant.MIN;
        fetchedAt = Instant.MIN;
    }

    private String fetch(Instant deadline) {
        JsonNode answer;
        try {
            answer = post(form(), deadline);
        } catch (TokenFailure refused) {
            // The secret may have been rotated in Secrets Manager since it was cached: one more try with it read again.
            if (refused.kind() != TokenFailure.Kind.REFUSED || !renewedSecret()) {
                throw refused;
            }
            answer = post(form(), deadline);
        }
        String accessToken = answer.path("access_token").textValue();
        if (accessToken == null || accessToken.isEmpty()) {
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "the token endpoint " + host() + " answered without an access_token");
        }
        long lifetime = answer.path("expires_in").asLong(3600);
        Instant now = clock.instant();
        token = accessToken;
        fetchedAt = now;
        expiresAt = now.plusSeconds(lifetime);
        renewAt = expiresAt.minus(RENEW_BEFORE);
        Log.infof("fetched an OAuth access token from %s, valid for %d s", host(), lifetime);
        return token;
    }

    /** The grant's form, or a refusal naming what cannot be used (a key or endpoint an admin fixes; never its value). */
    private Map<String, String> form() {
        try {
            return grant.form(clock.instant());
        } catch (IllegalArgumentException | IllegalStateException unusable) {
            throw new TokenFailure(TokenFailure.Kind.REFUSED, unusable.getMessage());
        }
    }

    private boolean renewedSecret() {
        try {
            return grant.renewSecret();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private JsonNode post(Map<String, String> form, Instant deadline) {
        // After the form (reading a secret took its time). Deadlines are wall-clock; the clock is for expiry.
        Duration left = Duration.between(Instant.now(), deadline);
        if (left.compareTo(LEAST) < 0) {
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "no time was left to ask " + host() + " for an access token");
        }
        Duration wait = left.compareTo(LONGEST) < 0 ? left : LONGEST;
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        URI url = grant.tokenUrl();
        HttpRequest request = HttpRequest.newBuilder(url).timeout(wait)
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.US_ASCII)).build();
        CompletableFuture<HttpResponse<byte[]>> pending = http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> response;
        try {
            // The whole exchange (DNS, connect, TLS, a slow answer) ends by the deadline, not each read.
            response = pending.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "the token endpoint " + host() + " did not answer in time");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String what = cause instanceof java.net.http.HttpTimeoutException ? "did not answer in time"
                    : cause instanceof ConnectException ? "refused the connection or is unreachable"
                    : "could not be reached (" + cause.getClass().getSimpleName() + ")";
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "the token endpoint " + host() + " " + what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "interrupted while asking " + host() + " for an access token");
        }
        int status = response.statusCode();
        JsonNode answer = read(response.body());
        if (status == 200) {
            return answer;
        }
        if (status == 429 || status >= 500) {
            throw new TokenFailure(TokenFailure.Kind.UNAVAILABLE, "the token endpoint " + host() + " answered " + status
                    + providerWords(answer) + "; try again later");
        }
        throw new TokenFailure(TokenFailure.Kind.REFUSED, "the token endpoint " + host() + " refused the grant (" + status + ")"
                + providerWords(answer));
    }

    /**
     * One client per instance (its connection pool serves the hourly renewals); TLS 1.2+ only, no
     * redirects. No timeouts of its own: each call is bounded by its request's deadline in {@link #post}.
     */
    private static HttpClient client() {
        SSLParameters tls = new SSLParameters();
        tls.setProtocols(new String[] { "TLSv1.3", "TLSv1.2" });
        try {
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER)
                    .sslContext(SSLContext.getDefault()).sslParameters(tls).build();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no TLS in this JVM", e);
        }
    }

    private JsonNode read(byte[] bytes) {
        try {
            return bytes == null || bytes.length == 0 || bytes.length > MAX_ANSWER ? json.createObjectNode() : json.readTree(bytes);
        } catch (IOException notJson) {
            return json.createObjectNode();
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
        } catch (RuntimeException e) {
            return "(no usable token endpoint)";
        }
    }
}
