package dev.mailrelay;

import java.util.List;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** The contract through the relay, with RELAY_IDEMPOTENCY_TABLE set: records in DynamoDB Local. */
@QuarkusTest
@TestProfile(DynamoDbIdempotencyTest.WithTable.class)
class DynamoDbIdempotencyTest extends IdempotencyContract {

    public static class WithTable implements QuarkusTestProfile {
        /** The SMTP server this profile starts replaces the one every other test shares. */
        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SmtpServerResource.class, Map.of(), true),
                    new TestResourceEntry(DynamoDbLocal.class, Map.of(), true));
        }
    }
}
