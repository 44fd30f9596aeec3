package dev.mailrelay;

import java.time.Instant;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import dev.mailrelay.RelayException.InFlight;
import dev.mailrelay.RelayException.PayloadTooLarge;
import dev.mailrelay.RelayException.StoreUnavailable;
import dev.mailrelay.idempotency.IdempotencyStore;
import dev.mailrelay.idempotency.IdempotencyStore.Claim;
import dev.mailrelay.smtp.SmtpDiagnostics;

/**
 * POST /v1/diagnostics/smtp, signed like a notification (any small body, e.g. {}) but with a
 * webhook-id that starts with {@code diag_}, so a captured notification never opens it: walks the
 * configured SMTP server and answers 200 with the report, whatever it found. Each signed request
 * runs once (its id is claimed in the idempotency store): a replay makes no second SMTP login.
 */
@Path("/v1/diagnostics/smtp")
public class DiagnosticsResource {

    private static final int MAX_BODY = 4096;

    private final SignatureVerifier verifier;
    private final SmtpDiagnostics diagnostics;
    private final IdempotencyStore store;
    private final LambdaInvocation invocation;

    DiagnosticsResource(SignatureVerifier verifier, SmtpDiagnostics diagnostics, IdempotencyStore store,
            LambdaInvocation invocation) {
        this.verifier = verifier;
        this.diagnostics = diagnostics;
        this.store = store;
        this.invocation = invocation;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public SmtpDiagnostics.Report run(byte[] body, HttpHeaders headers) {
        if (body.length > MAX_BODY) {
            throw new PayloadTooLarge("a diagnostics request needs no body beyond {}");
        }
        Instant now = Instant.now();
        try (dev.mailrelay.aws.Deadlines.Scope bounded = dev.mailrelay.aws.Deadlines.until(invocation.deadline(now))) {
            return run(headers, body, now);
        }
    }

    private SmtpDiagnostics.Report run(HttpHeaders headers, byte[] body, Instant now) {
        String id = headers.getHeaderString("webhook-id");
        verifier.verify(SignatureVerifier.Purpose.DIAGNOSTICS, id, headers.getHeaderString("webhook-timestamp"),
                headers.getHeaderString("webhook-signature"), body, now);
        Claim claim;
        try {
            // Kept past the ±5 min window in which the signature could be replayed.
            claim = store.claim(id, now.plus(SignatureVerifier.TOLERANCE).plusSeconds(60));
        } catch (RuntimeException storeDown) {
            throw new StoreUnavailable("the relay cannot reach its idempotency store to record this diagnostics run");
        }
        if (claim.state() != IdempotencyStore.State.CLAIMED) {
            throw new InFlight("this diagnostics request already ran; sign a new one (node actions/try-local.js --diagnostics)");
        }
        return diagnostics.run(invocation.deadline(now));
    }
}
