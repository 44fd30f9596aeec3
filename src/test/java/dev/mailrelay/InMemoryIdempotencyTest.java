package dev.mailrelay;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The contract with the default store: records in the relay's memory. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class InMemoryIdempotencyTest extends IdempotencyContract {
}
