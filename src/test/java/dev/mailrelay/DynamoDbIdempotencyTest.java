package dev.mailrelay;

import java.util.List;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The contract through the relay, with RELAY_IDEMPOTENCY_TABLE set: records in DynamoDB Local. */
@QuarkusTest
@TestProfile(DynamoDbIdempotencyTest.WithTable.class)
class DynamoDbIdempotencyTest extends IdempotencyContract {

    public static class WithTable extends OwnSmtpServerProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(smtpServer(Map.of()), new TestResourceEntry(DynamoDbLocal.class, Map.of(), true));
        }
    }
}
