package dev.mailrelay.idempotency;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

/**
 * The store shared by every Lambda instance: one item per webhook-id, claimed with a conditional
 * write, so two concurrent invocations can never both own an id. {@code expires_at} is the
 * table's TTL attribute; since DynamoDB deletes expired items late, every read also checks it.
 */
public final class DynamoDbIdempotencyStore implements IdempotencyStore {

    static final String ID = "id";
    static final String STATE = "state";
    static final String MESSAGE_ID = "message_id";
    static final String EXPIRES_AT = "expires_at";

    /** Free, or an abandoned lease, or a record past its TTL that DynamoDB has not deleted yet. */
    private static final String CLAIMABLE = "attribute_not_exists(#id) OR #expires < :now";

    private final DynamoDbClient dynamo;
    private final String table;
    private final Duration ttl;
    private final Clock clock;

    public DynamoDbIdempotencyStore(DynamoDbClient dynamo, String table, Duration ttl, Clock clock) {
        this.dynamo = dynamo;
        this.table = table;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** A client on the JDK's HTTP stack, with the region and credentials of the Lambda environment. */
    static DynamoDbIdempotencyStore create(String table, Duration ttl, Optional<URI> endpoint) {
        DynamoDbClientBuilder builder = DynamoDbClient.builder().httpClient(UrlConnectionHttpClient.create());
        endpoint.ifPresent(builder::endpointOverride);
        return new DynamoDbIdempotencyStore(builder.build(), table, ttl, Clock.systemUTC());
    }

    @Override
    public Claim claim(String id, Instant leaseUntil) {
        try {
            dynamo.putItem(put -> put.tableName(table)
                    .item(Map.of(ID, s(id), STATE, s(State.IN_FLIGHT.name()), EXPIRES_AT, n(leaseUntil.getEpochSecond() + 1)))
                    .conditionExpression(CLAIMABLE)
                    .expressionAttributeNames(Map.of("#id", ID, "#expires", EXPIRES_AT))
                    .expressionAttributeValues(Map.of(":now", n(clock.instant().getEpochSecond())))
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD));
            return Claim.CLAIMED;
        } catch (ConditionalCheckFailedException taken) {
            Map<String, AttributeValue> old = taken.hasItem() ? taken.item()
                    : dynamo.getItem(get -> get.tableName(table).key(Map.of(ID, s(id))).consistentRead(true)).item();
            if (old != null && State.DELIVERED.name().equals(old.get(STATE).s())) {
                AttributeValue messageId = old.get(MESSAGE_ID);
                return new Claim(State.DELIVERED, messageId == null ? null : messageId.s());
            }
            return Claim.IN_FLIGHT;
        }
    }

    @Override
    public void delivered(String id, String messageId) {
        dynamo.putItem(put -> put.tableName(table).item(Map.of(ID, s(id), STATE, s(State.DELIVERED.name()),
                MESSAGE_ID, s(messageId), EXPIRES_AT, n(clock.instant().plus(ttl).getEpochSecond()))));
    }

    @Override
    public void release(String id) {
        try {
            dynamo.deleteItem(delete -> delete.tableName(table).key(Map.of(ID, s(id)))
                    .conditionExpression("#state = :inflight")
                    .expressionAttributeNames(Map.of("#state", STATE))
                    .expressionAttributeValues(Map.of(":inflight", s(State.IN_FLIGHT.name()))));
        } catch (ConditionalCheckFailedException alreadyGoneOrDelivered) {
            // nothing to give up
        }
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }
}
