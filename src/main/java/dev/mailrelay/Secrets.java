package dev.mailrelay;

import dev.mailrelay.smtp.SmtpConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import io.quarkus.logging.Log;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.mailrelay.aws.AwsCredentials;
import dev.mailrelay.aws.AwsJsonClient;
import dev.mailrelay.smtp.SecretSource;

import dev.mailrelay.RelayException.SecretUnavailable;

/**
 * The relay's two secrets, from plain variables (local use) or from AWS Secrets Manager
 * (RELAY_SECRET_ARN, SMTP_PASSWORD_SECRET_ARN). Values from Secrets Manager are read on first use,
 * never during start-up, so a SnapStart snapshot holds none, and cached for a few minutes; a
 * caller that suspects a rotation asks for a fresh read, at most once per RELAY_SECRETS_REFRESH_INTERVAL.
 */
@Singleton
public class Secrets implements SecretSource {

    private record Cached(String value, Instant readAt) {
    }

    private final Optional<String> relayArn;
    private final List<String> relayPlain;
    private final Optional<String> smtpArn;
    private final Optional<String> smtpPlain;
    private final Duration ttl;
    private final Duration refreshInterval;
    private final AwsJsonClient client;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    Secrets(RelayConfig relay, SmtpConfig smtp, AwsCredentials credentials, ObjectMapper json) {
        this.relayArn = relay.secretArn().filter(s -> !s.isBlank());
        this.relayPlain = relay.secret().orElse(List.of());
        this.smtpArn = smtp.passwordSecretArn().filter(s -> !s.isBlank());
        this.smtpPlain = smtp.password();
        this.ttl = relay.secretsCacheTtl();
        this.refreshInterval = relay.secretsRefreshInterval();
        // Creating it costs nothing: no call, no credentials until the first read.
        this.client = new AwsJsonClient("secretsmanager", "secretsmanager", "1.1", relay.secretsEndpoint(),
                credentials, json);
    }

    /** Whether a signing secret is configured at all (checked at start-up, without reading it). */
    public boolean hasRelaySecret() {
        return relayArn.isPresent() || relayPlain.stream().anyMatch(s -> !s.isBlank());
    }

    /** The Standard Webhooks secrets; {@code fresh} re-reads Secrets Manager (rate-limited). */
    public List<String> relaySecrets(boolean fresh) {
        return relayArn.map(arn -> split(read(arn, fresh))).orElse(relayPlain);
    }

    public boolean relaySecretRotates() {
        return relayArn.isPresent();
    }

    /** The SMTP password; {@code fresh} re-reads Secrets Manager (rate-limited). */
    public Optional<String> smtpPassword(boolean fresh) {
        return smtpArn.isPresent() ? Optional.of(read(smtpArn.get(), fresh)) : smtpPlain;
    }

    public boolean smtpPasswordRotates() {
        return smtpArn.isPresent();
    }

    /** Another secret the relay is configured with by ARN (an OAuth client secret, a service account key); {@code fresh} as above. */
    public String secret(String arn, boolean fresh) {
        return read(arn, fresh);
    }

    private String read(String arn, boolean fresh) {
        Cached cached = cache.get(arn);
        if (!stale(cached, fresh)) {
            return cached.value();
        }
        // One read at a time per secret: a request arriving while the restore's warm-up reads it
        // waits for that answer instead of asking a second time.
        synchronized (locks.computeIfAbsent(arn, key -> new Object())) {
            Cached meanwhile = cache.get(arn);
            return meanwhile != cached && !stale(meanwhile, fresh) ? meanwhile.value() : fetch(arn, meanwhile);
        }
    }

    private boolean stale(Cached cached, boolean fresh) {
        Instant now = Instant.now();
        return cached == null || cached.readAt().plus(ttl).isBefore(now)
                || (fresh && !cached.readAt().plus(refreshInterval).isAfter(now));
    }

    private String fetch(String arn, Cached cached) {
        Instant now = Instant.now();
        try {
            String value = client.call("GetSecretValue", Map.of("SecretId", arn)).path("SecretString").asText("");
            if (value.isBlank()) {
                throw new SecretUnavailable("the secret " + arn + " has no SecretString");
            }
            cache.put(arn, new Cached(value.strip(), now));
            return value.strip();
        } catch (SecretUnavailable e) {
            throw e;
        } catch (RuntimeException e) {
            Log.errorf("cannot read secret %s from Secrets Manager: %s", arn, e.getMessage());
            if (cached != null) {
                return cached.value(); // a rotation check failed; the value in hand still works until proven otherwise
            }
            throw new SecretUnavailable("the relay cannot read its secret from Secrets Manager; Auth0 will retry");
        }
    }

    private static List<String> split(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
