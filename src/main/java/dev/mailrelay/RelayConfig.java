package dev.mailrelay;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The relay's own settings; each key is also read from the environment (relay.time-budget = RELAY_TIME_BUDGET). */
@ConfigMapping(prefix = "relay")
public interface RelayConfig {

    /** Standard Webhooks secrets (whsec_…), comma-separated; several are accepted during a rotation. */
    Optional<List<String>> secret();

    /** ARN of a Secrets Manager secret holding the Standard Webhooks secret(s), comma-separated; replaces RELAY_SECRET. */
    Optional<String> secretArn();

    /** Secrets Manager endpoint override (tests); unset uses the region's endpoint. */
    Optional<java.net.URI> secretsEndpoint();

    /** How long a value read from Secrets Manager is used before it is read again. */
    @WithDefault("5m")
    Duration secretsCacheTtl();

    /** Least time between two reads forced by a suspected rotation (a failed signature or login). */
    @WithDefault("10s")
    Duration secretsRefreshInterval();

    /** Allowed from addresses and @domain entries; empty allows only SMTP_USERNAME when it is an address. */
    Optional<List<String>> allowedFrom();

    /** Largest request body accepted, in bytes; larger ones are answered 413. */
    @WithDefault("262144")
    int maxBodyBytes();

    /** Longest all SMTP work for one request may take (attempts, backoff, fallback); the answer then is 504. */
    @WithDefault("10s")
    Duration timeBudget();

    /** Kept back from the Lambda invocation's deadline, so the relay still answers when the function timeout is short. */
    @WithDefault("500ms")
    Duration deadlineMargin();

    Idempotency idempotency();

    Retry retry();

    Breaker breaker();

    /** Which webhook-ids were delivered, so a retried notification is not sent twice. */
    interface Idempotency {
        /** DynamoDB table name; unset keeps the records in memory (one Lambda instance only). */
        Optional<String> table();

        /** DynamoDB endpoint override, for DynamoDB Local; unset uses the region's endpoint. */
        Optional<java.net.URI> endpoint();

        /** How long a delivered id is remembered; at least 1 h, since Auth0 retries within minutes (README, "Why 1 h"). */
        @WithDefault("1h")
        Duration ttl();

        /** Most ids the in-memory store holds; the oldest expire first. */
        @WithDefault("100000")
        int maxEntries();
    }

    /** In-process retries of failures before the message data was sent. */
    interface Retry {
        /** Attempts per SMTP server for one notification, the first included. */
        @WithDefault("3")
        int maxAttempts();

        /** Pause before a retry. */
        @WithDefault("200ms")
        Duration delay();

        /** Random spread added to or taken from the pause, so retries of many instances do not align. */
        @WithDefault("100ms")
        Duration jitter();
    }

    /** Per-instance circuit breaker in front of each SMTP server. */
    interface Breaker {
        /** Transient failures in a row (rolling window) that open the circuit. */
        @WithDefault("5")
        int failures();

        /** How long an open circuit answers 503 at once before it lets one probe through. */
        @WithDefault("30s")
        Duration delay();
    }
}
