package dev.mailrelay.idempotency;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.mailrelay.aws.AwsCallFailed;
import dev.mailrelay.aws.AwsCredentials;
import dev.mailrelay.aws.AwsJsonClient;

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

    private static final String CONDITION_FAILED = "ConditionalCheckFailedException";

    private final AwsJsonClient dynamo;
    private final String table;
    private final Duration ttl;
    private final Clock clock;

    public DynamoDbIdempotencyStore(AwsJsonClient dynamo, String table, Duration ttl, Clock clock) {
        this.dynamo = dynamo;
        this.table = table;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** A client with the region and credentials of the Lambda environment, on the JDK's HTTP stack. */
    public static DynamoDbIdempotencyStore create(String table, Duration ttl, Optional<URI> endpoint, AwsCredentials credentials,
            ObjectMapper json) {
        AwsJsonClient client = new AwsJsonClient("dynamodb", "DynamoDB_20120810", "1.0", endpoint, credentials, json);
        return new DynamoDbIdempotencyStore(client, table, ttl, Clock.systemUTC());
    }

    /** A GetItem of an id no notification has (ids are "msg_…"): the role may read, and nothing changes. */
    @Override
    public void warmUp() {
        dynamo.call("GetItem", Map.of("TableName", table, "Key", Map.of(ID, s("relay-warm-up")), "ProjectionExpression", "#id",
                "ExpressionAttributeNames", Map.of("#id", ID)));
    }

    @Override
    public Claim claim(String id, Instant leaseUntil) {
        try {
            dynamo.call("PutItem", Map.of("TableName", table,
                    "Item", Map.of(ID, s(id), STATE, s(State.IN_FLIGHT.name()), EXPIRES_AT, n(leaseUntil.getEpochSecond() + 1)),
                    "ConditionExpression", CLAIMABLE,
                    "ExpressionAttributeNames", Map.of("#id", ID, "#expires", EXPIRES_AT),
                    "ExpressionAttributeValues", Map.of(":now", n(clock.instant().getEpochSecond())),
                    "ReturnValuesOnConditionCheckFailure", "ALL_OLD"));
            return Claim.CLAIMED;
        } catch (AwsCallFailed e) {
            if (!e.is(CONDITION_FAILED)) {
                throw e;
            }
            JsonNode old = e.body().has("Item") ? e.body().get("Item")
                    : dynamo.call("GetItem", Map.of("TableName", table, "Key", Map.of(ID, s(id)), "ConsistentRead", true)).path("Item");
            if (State.DELIVERED.name().equals(old.path(STATE).path("S").asText())) {
                JsonNode messageId = old.path(MESSAGE_ID).path("S");
                return new Claim(State.DELIVERED, messageId.isTextual() ? messageId.asText() : null);
            }
            return Claim.IN_FLIGHT;
        }
    }

    @Override
    public void delivered(String id, String messageId) {
        dynamo.call("PutItem", Map.of("TableName", table, "Item", Map.of(ID, s(id), STATE, s(State.DELIVERED.name()),
                MESSAGE_ID, s(messageId), EXPIRES_AT, n(clock.instant().plus(ttl).getEpochSecond()))));
    }

    @Override
    public void release(String id) {
        try {
            dynamo.call("DeleteItem", Map.of("TableName", table, "Key", Map.of(ID, s(id)),
                    "ConditionExpression", "#state = :inflight",
                    "ExpressionAttributeNames", Map.of("#state", STATE),
                    "ExpressionAttributeValues", Map.of(":inflight", s(State.IN_FLIGHT.name()))));
        } catch (AwsCallFailed e) {
            if (!e.is(CONDITION_FAILED)) {
                throw e; // otherwise nothing to give up: already gone, or delivered
            }
        }
    }

    /** DynamoDB's typed attribute values, as the JSON protocol writes them. */
    private static Map<String, String> s(String value) {
        return Map.of("S", value);
    }

    private static Map<String, String> n(long value) {
        return Map.of("N", Long.toString(value));
    }
}
