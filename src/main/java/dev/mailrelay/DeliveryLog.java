package dev.mailrelay;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.mailrelay.RelayException.SmtpFailure;
import dev.mailrelay.smtp.SmtpSender;

/**
 * One JSON line per notification, which is also a CloudWatch Embedded Metric Format record: the
 * Lambda log pipeline turns its Sent/Duplicate/Dropped/Retryable counts and Latency into metrics
 * (namespace Auth0MailRelay), no SDK or agent needed. It names the recipient's domain, never the
 * address, and never the body, the subject or a secret; SMTP replies appear with addresses redacted.
 */
@Singleton
public class DeliveryLog {

    static final String NAMESPACE = "Auth0MailRelay";
    static final String SERVICE = "auth0-mail-relay";
    /** Auth0's "Send Test Email" from the dashboard: delivered like any mail, and marked as the test it is. */
    static final String DASHBOARD_TEST = "try_provider_configuration_email";

    /** Its own category, written as bare JSON lines (see application.properties). */
    private static final Logger LOG = Logger.getLogger("dev.mailrelay.delivery");

    private final ObjectMapper json;
    private final LambdaInvocation invocation;

    DeliveryLog(ObjectMapper json, LambdaInvocation invocation) {
        this.json = json;
        this.invocation = invocation;
    }

    void sent(Notification n, Address to, String id, long startedNanos, SmtpSender.Delivery delivery) {
        Map<String, Object> line = line("sent", 200, n, to, id, startedNanos);
        line.put("server", delivery.server());
        line.put("attempts", delivery.attempts());
        write(line, "Sent");
    }

    void duplicate(Notification n, Address to, String id, long startedNanos) {
        Map<String, Object> line = line("duplicate", 200, n, to, id, startedNanos);
        line.put("attempts", 0);
        write(line, "Duplicate");
    }

    void failed(Notification n, Address to, String id, long startedNanos, Throwable failure) {
        int status = failure instanceof RelayException e ? e.status() : 500;
        boolean retryable = !(failure instanceof RelayException e) || e.retryable();
        Map<String, Object> line = line(retryable ? "retryable" : "dropped", status, n, to, id, startedNanos);
        if (failure instanceof SmtpFailure e) {
            line.put("attempts", e.attempts());
            if (e.reply() != null) {
                line.put("smtp_code", e.reply().code());
                line.put("smtp_enhanced_status", e.reply().enhancedStatus());
                line.put("smtp_reply", e.reply().text());
            }
        }
        line.put("detail", failure instanceof RelayException ? failure.getMessage() : failure.getClass().getName());
        write(line, retryable ? "Retryable" : "Dropped");
    }

    private Map<String, Object> line(String outcome, int status, Notification n, Address to, String id, long startedNanos) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("outcome", outcome);
        line.put("status", status);
        line.put("message_type", n.messageType());
        if (DASHBOARD_TEST.equals(n.messageType())) {
            line.put("dashboard_test", true);
        }
        line.put("tenant", n.tenant());
        line.put("to_domain", to.domain());
        line.put("webhook_id", id);
        line.put("lambda_request_id", invocation.requestId());
        line.put("duration_ms", (System.nanoTime() - startedNanos) / 1_000_000);
        return line;
    }

    private void write(Map<String, Object> line, String metric) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("_aws", Map.of("Timestamp", System.currentTimeMillis(), "CloudWatchMetrics", List.of(Map.of(
                "Namespace", NAMESPACE,
                "Dimensions", List.of(List.of("Service")),
                "Metrics", List.of(Map.of("Name", metric, "Unit", "Count"), Map.of("Name", "Latency", "Unit", "Milliseconds"))))));
        record.put("Service", SERVICE);
        record.put(metric, 1);
        record.put("Latency", line.get("duration_ms"));
        record.putAll(line);
        try {
            String text = json.writeValueAsString(record);
            if ("Sent".equals(metric) || "Duplicate".equals(metric)) {
                LOG.info(text);
            } else {
                LOG.warn(text);
            }
        } catch (JsonProcessingException e) {
            LOG.errorf("cannot write the delivery log line: %s", e.getClass().getName());
        }
    }
}
