package dev.mailrelay;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.mailrelay.smtp.SmtpFailure;

/**
 * One JSON line per answer, which is also a CloudWatch Embedded Metric Format record: the Lambda
 * log pipeline turns its Sent/Duplicate/Dropped/SignatureFailures/Retryable counts and Latency into
 * metrics (namespace Auth0MailRelay), no SDK or agent needed. It names the recipient's domain,
 * never the address, and never the body, the subject or a secret; SMTP replies and details appear
 * with addresses redacted.
 */
@Singleton
public class DeliveryLog {

    static final String NAMESPACE = "Auth0MailRelay";
    static final String SERVICE = "auth0-mail-relay";
    /** Auth0's "Send Test Email" from the dashboard: delivered like any mail, and marked as the test it is. */
    static final String DASHBOARD_TEST = "try_provider_configuration_email";

    /** What an id from an unverified request may keep. */
    private static final java.util.regex.Pattern NOT_ID = java.util.regex.Pattern.compile("[^A-Za-z0-9_-]");

    /** Its own category, written as bare JSON lines (see application.properties). */
    private static final Logger LOG = Logger.getLogger("dev.mailrelay.delivery");

    private final ObjectMapper json;
    private final LambdaInvocation invocation;

    DeliveryLog(ObjectMapper json, LambdaInvocation invocation) {
        this.json = json;
        this.invocation = invocation;
    }

    /**
     * The line of one answer: its outcome (sent, duplicate, dropped, signature_failure, retryable),
     * the status, a reason code, and what is known of the notification by then. An id from an
     * unverified request is cut short: it may be anything a caller sent.
     */
    void answered(AnswerFacts facts, int status, Object entity) {
        String reason;
        String outcome;
        String metric;
        String detail = null;
        if (entity instanceof NotificationResource.Sent sent) {
            reason = sent.status();
            outcome = sent.status();
            metric = sent.status().equals("duplicate") ? "Duplicate" : "Sent";
        } else {
            ProblemMapper.Problem problem = entity instanceof ProblemMapper.Problem p ? p : null;
            reason = problem != null && problem.type().startsWith(ProblemMapper.TYPE_PREFIX)
                    ? problem.type().substring(ProblemMapper.TYPE_PREFIX.length()) : "http-" + status;
            boolean retryable = problem != null ? problem.retryable() : status >= 500 || status == 409 || status == 429;
            if (status == 401) {
                outcome = "signature_failure";
                metric = "SignatureFailures";
            } else {
                outcome = retryable ? "retryable" : "dropped";
                metric = retryable ? "Retryable" : "Dropped";
            }
            detail = problem == null ? null : dev.mailrelay.smtp.Addresses.redact(problem.detail());
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("outcome", outcome);
        line.put("status", status);
        line.put("reason", reason);
        Notification n = facts.notification();
        if (n != null) {
            line.put("message_type", n.messageType());
            if (DASHBOARD_TEST.equals(n.messageType())) {
                line.put("dashboard_test", true);
            }
            line.put("tenant", n.tenant());
            line.put("to_domain", facts.to().domain());
        }
        if (facts.id() != null) {
            line.put("webhook_id", facts.id());
        } else if (facts.headerId() != null) {
            String raw = NOT_ID.matcher(facts.headerId()).replaceAll("");
            line.put("webhook_id_unverified", raw.length() > 12 ? raw.substring(0, 12) + "…" : raw);
        }
        line.put("lambda_request_id", invocation.requestId());
        line.put("duration_ms", (System.nanoTime() - facts.startedNanos()) / 1_000_000);
        if (facts.delivery() != null) {
            line.put("server", facts.delivery().server());
            line.put("attempts", facts.delivery().attempts());
        } else if (metric.equals("Duplicate")) {
            line.put("attempts", 0);
        }
        SmtpFailure e = facts.failure();
        if (e != null) {
            line.put("attempts", e.attempts());
            if (e.reply() != null) {
                line.put("smtp_code", e.reply().code());
                line.put("smtp_enhanced_status", e.reply().enhancedStatus());
                line.put("smtp_reply", e.reply().text());
            }
        }
        if (detail != null) {
            line.put("detail", detail);
        }
        write(line, metric);
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
