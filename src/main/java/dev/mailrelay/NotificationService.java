package dev.mailrelay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Singleton;

import io.quarkus.logging.Log;

import dev.mailrelay.RelayException.InFlight;
import dev.mailrelay.RelayException.StoreUnavailable;
import dev.mailrelay.idempotency.IdempotencyStore;
import dev.mailrelay.idempotency.IdempotencyStore.Claim;
import dev.mailrelay.idempotency.IdempotencyStore.State;
import dev.mailrelay.smtp.Message;
import dev.mailrelay.smtp.SmtpFailure;
import dev.mailrelay.smtp.SmtpSender;

/**
 * Claim → send → record for one verified notification (SPEC §4), with what happened noted for the
 * answer's log line ({@link AnswerFacts}, written by {@link AnswerLog}): each of its webhook-ids
 * is claimed before the first SMTP byte, marked delivered after the server took the message, and
 * released after any failure, so that Auth0's retry may send it.
 */
@Singleton
public class NotificationService {

    /** The result the endpoint answers with. */
    public record Outcome(boolean duplicate, String messageId) {
    }

    private final WebhookIds webhookIds;
    private final IdempotencyStore store;
    private final SmtpSender sender;
    private final AnswerFacts facts;

    NotificationService(WebhookIds webhookIds, IdempotencyStore store, SmtpSender sender, AnswerFacts facts) {
        this.webhookIds = webhookIds;
        this.store = store;
        this.sender = sender;
        this.facts = facts;
    }

    Outcome deliver(Notification n, Address from, Address to, Instant deadline) {
        if (DeliveryLog.DASHBOARD_TEST.equals(n.messageType())) {
            // "Send Test Email" twice is two tests: a missing second mail confuses the admin, a duplicate does not.
            String id = WebhookIds.random();
            facts.identified(id);
            return send(n, from, to, id, List.of(), deadline);
        }
        List<String> ids = webhookIds.of(n);
        String id = ids.get(0);
        facts.identified(id);
        Claim claim = claim(ids, deadline.plusSeconds(1));
        if (claim.state() == State.DELIVERED) {
            return new Outcome(true, claim.messageId());
        }
        if (claim.state() == State.IN_FLIGHT) {
            throw new InFlight("this notification is being delivered by another invocation right now");
        }
        return send(n, from, to, id, ids, deadline);
    }

    private Outcome send(Notification n, Address from, Address to, String id, List<String> claimed, Instant deadline) {
        SmtpSender.Delivery delivery;
        try {
            delivery = sender.send(message(n, from, to), "<" + id + "@" + from.domain() + ">", deadline);
        } catch (RuntimeException e) {
            // Any failure frees the ids, an uncertain one included: Auth0's retry may send again (SPEC §4).
            release(claimed);
            if (e instanceof SmtpFailure failure) {
                facts.failed(failure);
            }
            throw e;
        }
        for (String claimedId : claimed) {
            try {
                store.delivered(claimedId, delivery.messageId());
            } catch (RuntimeException storeDown) {
                // The mail has left: say so. Only a retry of this very notification could now send it twice.
                Log.errorf("delivered %s but cannot record it (%s)", claimedId, storeDown.getMessage());
            }
        }
        facts.delivered(delivery);
        return new Outcome(false, delivery.messageId());
    }

    /** The message as the SMTP classes take it: validated addresses as addr-specs, the display name apart. */
    static Message message(Notification n, Address from, Address to) {
        return new Message(from.displayName(), from.addrSpec(), to.addrSpec(), n.subject(), n.html(), n.text(), n.messageType());
    }

    /**
     * Claims every id (one per configured secret, so a retry signed with the other secret of a
     * rotation finds this one's record); the first that is not free decides, and the ones already
     * claimed are given back.
     */
    private Claim claim(List<String> ids, Instant leaseUntil) {
        List<String> held = new ArrayList<>();
        try {
            for (String id : ids) {
                Claim claim = store.claim(id, leaseUntil);
                if (claim.state() != State.CLAIMED) {
                    release(held);
                    return claim;
                }
                held.add(id);
            }
            return Claim.CLAIMED;
        } catch (RuntimeException storeDown) {
            // Sending unclaimed could duplicate a delivered mail; Auth0 retries this one instead.
            Log.errorf("cannot claim %s: %s", ids.get(0), storeDown.getMessage());
            release(held);
            throw new StoreUnavailable("the relay cannot reach its idempotency store; Auth0 will retry");
        }
    }

    private void release(List<String> ids) {
        for (String id : ids) {
            try {
                store.release(id);
            } catch (RuntimeException storeDown) {
                Log.errorf("cannot release %s (%s); its lease expires by itself", id, storeDown.getMessage());
            }
        }
    }
}
