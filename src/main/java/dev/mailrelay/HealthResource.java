package dev.mailrelay;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

/**
 * GET /v1/health: 204, touching nothing (no secret, no store, no SMTP, no metric). The template's
 * weekly schedule calls it through the live alias, so that a quiet tenant's SnapStart version is
 * never idle 14 days and turned inactive (the next login mail would then fail).
 */
@Path("/v1/health")
public class HealthResource {

    @GET
    public Response health() {
        return Response.noContent().build();
    }
}
