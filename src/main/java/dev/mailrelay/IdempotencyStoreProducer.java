package dev.mailrelay;

import java.time.Clock;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;

import dev.mailrelay.aws.AwsCredentials;
import dev.mailrelay.idempotency.DynamoDbIdempotencyStore;
import dev.mailrelay.idempotency.IdempotencyStore;
import dev.mailrelay.idempotency.InMemoryIdempotencyStore;

/**
 * RELAY_IDEMPOTENCY_TABLE chooses the store: DynamoDB when set, memory otherwise. Wiring lives
 * here, so the idempotency package never reads the relay's configuration.
 */
public class IdempotencyStoreProducer {

    @Produces
    @Singleton
    IdempotencyStore store(RelayConfig config, AwsCredentials credentials, ObjectMapper json) {
        RelayConfig.Idempotency settings = config.idempotency();
        if (settings.table().isPresent()) {
            Log.infof("idempotency records in DynamoDB table %s, kept %s", settings.table().get(), settings.ttl());
            return DynamoDbIdempotencyStore.create(settings.table().get(), settings.ttl(), settings.endpoint(), credentials, json);
        }
        return new InMemoryIdempotencyStore(settings.ttl(), settings.maxEntries(), Clock.systemUTC());
    }
}
