package dev.mailrelay;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import io.quarkus.logging.Log;

import dev.mailrelay.smtp.SmtpFailure;

/** The one place that turns failures into RFC 9457 problem+json; never a class name or stack trace. */
public class ProblemMapper {

    static final String PROBLEM_JSON = "application/problem+json";
    static final String TYPE_PREFIX = "tag:auth0-mail-relay,2026:";
    /** Auth0 ignores it, but other callers and operators read it. */
    static final String RETRY_AFTER_SECONDS = "30";

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Problem(String type, String title, int status, String detail, boolean retryable,
            @JsonProperty("smtp_code") Integer smtpCode,
            @JsonProperty("smtp_enhanced_status") String smtpEnhancedStatus,
            Integer attempts) {
    }

    @ServerExceptionMapper
    public Response relay(RelayException e) {
        return answer(new Problem(TYPE_PREFIX + e.slug(), title(e.slug()), e.status(), e.getMessage(), e.retryable(), null, null, null));
    }

    /** Where an SMTP server decided: its reply code and enhanced status, and how many attempts it took. */
    @ServerExceptionMapper
    public Response smtp(SmtpFailure e) {
        SmtpFailure.SmtpReply reply = e.reply();
        return answer(new Problem(TYPE_PREFIX + e.slug(), title(e.slug()), e.status(), e.getMessage(), e.retryable(),
                reply == null ? null : reply.code(), reply == null ? null : reply.enhancedStatus(), e.attempts()));
    }

    private static Response answer(Problem problem) {
        Response.ResponseBuilder response = Response.status(problem.status()).type(PROBLEM_JSON).entity(problem);
        if (problem.status() == 503) {
            response.header("Retry-After", RETRY_AFTER_SECONDS);
        }
        return response.build();
    }

    /** 404, 405, 415 and the like from the HTTP layer itself. */
    @ServerExceptionMapper
    public Response http(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String reason = Response.Status.fromStatusCode(status) == null ? "HTTP error" : Response.Status.fromStatusCode(status).getReasonPhrase();
        Problem problem = new Problem("about:blank", reason, status, reason + ": this relay serves POST /v1/notifications/email",
                status >= 500, null, null, null);
        return Response.status(status).type(PROBLEM_JSON).entity(problem).build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        Log.errorf("unexpected failure: %s", e.getClass().getName());
        Problem problem = new Problem(TYPE_PREFIX + "unexpected", "Unexpected relay error", 500,
                "the relay failed unexpectedly; Auth0 will retry", true, null, null, null);
        return Response.status(500).type(PROBLEM_JSON).entity(problem).build();
    }

    private static String title(String slug) {
        String words = slug.replace('-', ' ').replace("smtp", "SMTP");
        return Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }
}
