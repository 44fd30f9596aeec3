package dev.mailrelay;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.type.LogicalType;

import dev.mailrelay.aws.Deadlines;

import dev.mailrelay.RelayException.InvalidNotification;
import dev.mailrelay.RelayException.PayloadTooLarge;
import dev.mailrelay.RelayException.SenderNotAllowed;
import dev.mailrelay.smtp.SmtpSender;

/**
 * POST /v1/notifications/email: verify, parse, check the sender, then hand over to
 * {@link NotificationService}; every check runs before any byte goes out. Blocking on purpose: a
 * Lambda instance serves one request at a time, and the SMTP conversation is bounded by the
 * request's deadline.
 */
@Path(NotificationResource.PATH)
public class NotificationResource {

    static final String PATH = "/v1/notifications/email";

    /** The success body of SPEC §3. */
    public record Sent(String status, @JsonProperty("message_id") String messageId) {
    }

    private final SignatureVerifier verifier;
    private final NotificationService service;
    private final SmtpSender sender;
    private final Validator validator;
    private final ObjectReader reader;
    private final int maxBodyBytes;
    private final Set<String> allowedFrom;
    private final LambdaInvocation invocation;
    private final AnswerFacts facts;

    NotificationResource(SignatureVerifier verifier, NotificationService service, SmtpSender sender, Validator validator,
            ObjectMapper mapper, RelayConfig config, LambdaInvocation invocation, AnswerFacts facts) {
        this.facts = facts;
        this.verifier = verifier;
        this.service = service;
        this.sender = sender;
        this.invocation = invocation;
        this.validator = validator;
        this.reader = strict(mapper).readerFor(Notification.class);
        this.maxBodyBytes = config.maxBodyBytes();
        this.allowedFrom = config.allowedFrom().orElse(List.of()).stream().map(String::strip)
                .filter(s -> !s.isEmpty()).map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Wrong types are refused rather than coerced: a number where the subject belongs is a caller bug. */
    private static ObjectMapper strict(ObjectMapper shared) {
        ObjectMapper mapper = shared.copy()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Sent send(byte[] body, HttpHeaders headers) {
        facts.started(System.nanoTime(), headers.getHeaderString("webhook-id"));
        Instant now = Instant.now();
        Instant deadline = invocation.deadline(now);
        try (Deadlines.Scope bounded = Deadlines.until(deadline)) {
            return send(body, headers, now, deadline);
        }
    }

    private Sent send(byte[] body, HttpHeaders headers, Instant now, Instant deadline) {
        if (body.length > maxBodyBytes) {
            throw new PayloadTooLarge("the body is " + body.length + " bytes; the limit is " + maxBodyBytes);
        }
        // getHeaderString re-joins a value the HTTP layer split at its commas ("v1,<base64>"). The
        // webhook-id is only signed here: the relay derives the ids it stores itself (WebhookIds).
        verifier.verify(SignatureVerifier.Purpose.NOTIFICATION, headers.getHeaderString("webhook-id"),
                headers.getHeaderString("webhook-timestamp"), headers.getHeaderString("webhook-signature"), body, now);
        Notification n = parse(body);
        Address to = Address.parse(n.to(), false).orElseThrow();
        Address from = Address.parse(n.from(), true).orElseThrow();
        facts.parsed(n, to);
        if (!isAllowed(from)) {
            throw new SenderNotAllowed("from " + from.addrSpec() + " is not in RELAY_ALLOWED_FROM");
        }
        NotificationService.Outcome outcome = service.deliver(n, from, to, deadline);
        return new Sent(outcome.duplicate() ? "duplicate" : "sent", outcome.messageId());
    }

    Notification parse(byte[] body) {
        Notification n;
        try {
            n = reader.readValue(body);
        } catch (MismatchedInputException e) {
            String field = e.getPath().stream().map(r -> r.getFieldName()).filter(f -> f != null).collect(Collectors.joining("."));
            throw new InvalidNotification(field.isEmpty() ? "the body must be a JSON object" : "field '" + field + "' has the wrong type");
        } catch (JsonProcessingException e) {
            throw new InvalidNotification("the body is not valid JSON (UTF-8)");
        } catch (IOException e) {
            throw new InvalidNotification("the body cannot be read");
        }
        if (n == null) {
            throw new InvalidNotification("the body must be a JSON object");
        }
        Set<ConstraintViolation<Notification>> violations = validator.validate(n);
        if (!violations.isEmpty()) {
            throw new InvalidNotification(violations.stream()
                    .map(v -> "field '" + wireName(v.getPropertyPath().toString()) + "' " + v.getMessage())
                    .sorted().collect(Collectors.joining("; ")));
        }
        return n;
    }

    private static String wireName(String property) {
        return property.equals("bodyPresent") ? "html/text" : property.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /** SPEC §4: listed addresses and @domains; with no list, only the SMTP account itself. */
    private boolean isAllowed(Address from) {
        String address = from.addrSpec().toLowerCase(Locale.ROOT);
        if (allowedFrom.isEmpty()) {
            return sender.account().map(a -> a.equalsIgnoreCase(address)).orElse(false);
        }
        return allowedFrom.contains(address) || allowedFrom.contains("@" + from.domain());
    }
}
