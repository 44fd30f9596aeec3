package dev.mailrelay;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import io.quarkus.logging.Log;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;

import dev.mailrelay.RelayException.SecretUnavailable;

/**
 * The relay's two secrets, from plain variables (local use) or from AWS Secrets Manager
 * (RELAY_SECRET_ARN, SMTP_PASSWORD_SECRET_ARN). Values from Secrets Manager are read on first use,
 * never during start-up, so a SnapStart snapshot holds none, and cached for a few minutes; a
 * caller that suspects a rotation asks for a fresh read, at most once per RELAY_SECRETS_REFRESH_INTERVAL.
 */
@Singleton
public class Secrets {

    private record Cached(String value, Instant readAt) {
    }

    private final Optional<String> relayArn;
    private final List<String> relayPlain;
    private final Optional<String> smtpArn;
    private final Optional<String> smtpPlain;
    private final Duration ttl;
    private final Duration refreshInterval;
    private final Optional<java.net.URI> endpoint;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private volatile SecretsManagerClient client;

    Secrets(RelayConfig relay, RelayConfig.Smtp smtp) {
        this.relayArn = relay.secretArn().filter(s -> !s.isBlank());
        this.relayPlain = relay.secret().orElse(List.of());
        this.smtpArn = smtp.passwordSecretArn().filter(s -> !s.isBlank());
        this.smtpPlain = smtp.password();
        this.ttl = relay.secretsCacheTtl();
        this.refreshInterval = relay.secretsRefreshInterval();
        this.endpoint = relay.secretsEndpoint();
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

    private String read(String arn, boolean fresh) {
        Cached cached = cache.get(arn);
        Instant now = Instant.now();
        boolean stale = cached == null || cached.readAt().plus(ttl).isBefore(now)
                || (fresh && !cached.readAt().plus(refreshInterval).isAfter(now));
        if (!stale) {
            return cached.value();
        }
        try {
            String value = client().getSecretValue(r -> r.secretId(arn)).secretString();
            if (value == null || value.isBlank()) {
                throw new SecretUnavailable("the secret " + arn + " has no SecretString");
            }
            cache.put(arn, new Cached(value.strip(), now));
            return value.strip();
        } catch (SecretUnavailable e) {
            throw e;
        } catch (RuntimeException e) {
            Log.errorf("cannot read secret %s from Secrets Manager: %s", arn, e.getClass().getSimpleName());
            if (cached != null) {
                return cached.value(); // a rotation check failed; the value in hand still works until proven otherwise
            }
            throw new SecretUnavailable("the relay cannot read its secret from Secrets Manager; Auth0 will retry");
        }
    }

    private SecretsManagerClient client() {
        SecretsManagerClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    SecretsManagerClientBuilder builder = SecretsManagerClient.builder().httpClient(UrlConnectionHttpClient.create());
                    endpoint.ifPresent(builder::endpointOverride);
                    client = builder.build();
                }
                c = client;
            }
        }
        return c;
    }

    private static List<String> split(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
