package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * Where the server offers PIPELINING (RFC 2920), MAIL, RCPT and DATA go out in one write and the
 * relay waits for their three replies together; where it does not, one command per reply. Counted
 * by the {@link TlsRecordTap} between the relay and the strict test server, on a kept connection
 * (RSET first, then the envelope, then the message).
 */
@QuarkusTest
@TestProfile(WriteBatchingTest.Tapped.class)
class PipeliningTest {

    TestSmtpServer smtp;
    TlsRecordTap tap;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    /** Client TLS records for a message on the connection the one before it left open (WriteBatchingTest's helper). */
    private int recordsForAMessageOnAKeptConnection() throws Exception {
        WriteBatchingTest.sendOverAnOpenConnection(smtp, tap, (String) Relay.notification().get("html"));
        return tap.clientRecords();
    }

    @Test
    void sendsTheEnvelopeInOneWriteWhereTheServerOffersPipelining() throws Exception {
        // RSET, then MAIL + RCPT + DATA together, then the message and its final dot (one or two
        // records, as the event loop's turns fall). Without pipelining it could not be under five.
        assertThat(recordsForAMessageOnAKeptConnection()).isBetween(3, 4);
    }

    @Test
    void waitsForEachReplyWhereTheServerDoesNotOfferPipelining() throws Exception {
        smtp.withoutPipelining();

        // RSET, MAIL, RCPT, DATA, each after the reply to the one before, then the message.
        assertThat(recordsForAMessageOnAKeptConnection()).isGreaterThanOrEqualTo(5);
    }
}
