package dev.mailrelay;

import io.quarkus.logging.Log;

import dev.mailrelay.RelayException.SmtpFailure;

/**
 * One line per notification. It names the recipient's domain, never the address, and never the
 * body, the subject or a secret; SMTP reply texts are logged with addresses redacted.
 */
final class DeliveryLog {

    private DeliveryLog() {
    }

    static void sent(Notification n, Address to, String id, long startedNanos, SmtpSender.Delivery delivery) {
        Log.infof("outcome=sent status=200 message_type=%s tenant=%s to_domain=%s server=%s attempts=%d id=%s duration_ms=%d",
                n.messageType(), n.tenant(), to.domain(), delivery.server(), delivery.attempts(), id, millisSince(startedNanos));
    }

    static void duplicate(Notification n, Address to, String id, long startedNanos) {
        Log.infof("outcome=duplicate status=200 message_type=%s tenant=%s to_domain=%s attempts=0 id=%s duration_ms=%d",
                n.messageType(), n.tenant(), to.domain(), id, millisSince(startedNanos));
    }

    static void failed(Notification n, Address to, String id, long startedNanos, Throwable failure) {
        if (failure instanceof SmtpFailure e) {
            RelayException.SmtpReply reply = e.reply();
            Log.warnf("outcome=%s status=%d message_type=%s tenant=%s to_domain=%s attempts=%d smtp_code=%s smtp_reply=\"%s\" "
                    + "detail=\"%s\" id=%s duration_ms=%d", e.retryable() ? "retryable" : "dropped", e.status(), n.messageType(),
                    n.tenant(), to.domain(), e.attempts(), reply == null ? "-" : reply.code(), reply == null ? "" : reply.text(),
                    e.getMessage(), id, millisSince(startedNanos));
        } else {
            Log.errorf("outcome=retryable status=500 message_type=%s tenant=%s to_domain=%s error=%s id=%s duration_ms=%d",
                    n.messageType(), n.tenant(), to.domain(), failure.getClass().getName(), id, millisSince(startedNanos));
        }
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
