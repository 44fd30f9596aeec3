package dev.mailrelay;

import java.time.Instant;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import dev.mailrelay.RelayException.PayloadTooLarge;
import dev.mailrelay.smtp.SmtpDiagnostics;

/**
 * POST /v1/diagnostics/smtp, signed like a notification (any small body, e.g. {}): walks the
 * configured SMTP server and answers 200 with the report, whatever it found.
 */
@Path("/v1/diagnostics/smtp")
public class DiagnosticsResource {

    private static final int MAX_BODY = 4096;

    private final SignatureVerifier verifier;
    private final SmtpDiagnostics diagnostics;

    DiagnosticsResource(SignatureVerifier verifier, SmtpDiagnostics diagnostics) {
        this.verifier = verifier;
        this.diagnostics = diagnostics;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public SmtpDiagnostics.Report run(byte[] body, HttpHeaders headers) {
        if (body.length > MAX_BODY) {
            throw new PayloadTooLarge("a diagnostics request needs no body beyond {}");
        }
        verifier.verify(headers.getHeaderString("webhook-id"), headers.getHeaderString("webhook-timestamp"),
                headers.getHeaderString("webhook-signature"), body, Instant.now());
        return diagnostics.run();
    }
}
