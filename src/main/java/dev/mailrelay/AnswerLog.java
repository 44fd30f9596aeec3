package dev.mailrelay;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Writes the one log line of every answer of the notification endpoint, sent or refused, after
 * the answer is decided: a refusal before any delivery work (401, 400, 403, 413) is counted as
 * surely as a delivery.
 */
public class AnswerLog {

    private final DeliveryLog log;
    private final AnswerFacts facts;

    AnswerLog(DeliveryLog log, AnswerFacts facts) {
        this.log = log;
        this.facts = facts;
    }

    @ServerResponseFilter
    public void answered(ContainerRequestContext request, ContainerResponseContext response) {
        if (!CheckpointPriming.running && request.getUriInfo().getPath().startsWith(NotificationResource.PATH)) {
            log.answered(facts, response.getStatus(), response.getEntity());
        }
    }
}
