package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import dev.mailrelay.aws.AwsCredentials;
import dev.mailrelay.idempotency.DynamoDbIdempotencyStore;
import dev.mailrelay.idempotency.IdempotencyStore;

/** The store contract against DynamoDB Local: conditional writes decide who owns an id. */
class DynamoDbIdempotencyStoreTest extends IdempotencyStoreContract {

    private static final DynamoDbLocal LOCAL = new DynamoDbLocal();
    private static DynamoDbClient client;
    private static IdempotencyStore store;

    @BeforeAll
    static void start() {
        LOCAL.start();
        client = LOCAL.client();
        store = DynamoDbIdempotencyStore.create(DynamoDbLocal.TABLE, Duration.ofHours(1), Optional.of(LOCAL.endpoint()),
                new AwsCredentials(new ObjectMapper()), new ObjectMapper());
    }

    @AfterAll
    static void stop() {
        client.close();
        LOCAL.stop();
    }

    @Override
    IdempotencyStore store() {
        return store;
    }

    @Test
    void writesTheTtlAttributeDynamoDbExpiresItemsBy() {
        String id = id();
        store.claim(id, Instant.now().plusSeconds(10));
        store.delivered(id, "<m@example.com>");
        Map<String, AttributeValue> item = client.getItem(g -> g.tableName(DynamoDbLocal.TABLE)
                .key(Map.of("id", AttributeValue.fromS(id)))).item();
        long expiresAt = Long.parseLong(item.get("expires_at").n());
        assertThat(expiresAt).isBetween(Instant.now().plusSeconds(3500).getEpochSecond(), Instant.now().plusSeconds(3700).getEpochSecond());
        assertThat(item.get("state").s()).isEqualTo("DELIVERED");
        assertThat(item.get("message_id").s()).isEqualTo("<m@example.com>");
    }
}
