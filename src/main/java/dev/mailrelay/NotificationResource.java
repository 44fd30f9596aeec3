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

import io.quarkus.logging.Log;


import dev.mailrelay.RelayException.InFlight;
import dev.mailrelay.RelayException.InvalidNotification;
import dev.mailrelay.RelayException.PayloadTooLarge;
import dev.mailrelay.RelayException.SenderNotAllowed;
import dev.mailrelay.RelayException.StoreUnavailable;
import dev.mailrelay.idempotency.IdempotencyStore;
import dev.mailrelay.idempotency.IdempotencyStore.Claim;
import dev.mailrelay.smtp.SmtpSender;

/**
 * POST /v1/notifications/email: verify, parse, check the sender, claim the webhook-id, send; every
 * check runs before any byte goes out. Blocking on purpose: a Lambda instance serves one request
 * at a time, and the SMTP conversation is bounded by the request's deadline.
 */
@Path("/v1/notifications/email")
public class NotificationResource {

    /** The success body of SPEC §3. */
    public record Sent(String status, @JsonProperty("message_id") String messageId) {
    }

    private final SignatureVerifier verifier;
    private final SmtpSender sender;
    private final Validator validator;
    private final ObjectReader reader;
    private final int maxBodyBytes;
    private final Set<String> allowedFrom;
    private final IdempotencyStore store;
    private final LambdaInvocation invocation;
    private final DeliveryLog log;

    NotificationResource(SignatureVerifier verifier, SmtpSender sender, Validator validator, ObjectMapper mapper,
            RelayConfig config, IdempotencyStore store, LambdaInvocation invocation, DeliveryLog log) {
        this.verifier = verifier;
        this.sender = sender;
        this.store = store;
        this.invocation = invocation;
        this.log = log;
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
        long started = System.nanoTime();
        Instant now = Instant.now();
        Instant deadline = invocation.deadline(now);
        if (body.length > maxBodyBytes) {
            throw new PayloadTooLarge("the body is " + body.length + " bytes; the limit is " + maxBodyBytes);
        }
        String id = headers.getHeaderString("webhook-id");
        // getHeaderString re-joins a value the HTTP layer split at its commas ("v1,<base64>").
        verifier.verify(id, headers.getHeaderString("webhook-timestamp"), headers.getHeaderString("webhook-signature"),
                body, now);
        Notification n = parse(body);
        Address to = Address.parse(n.to(), false).orElseThrow();
        Address from = Address.parse(n.from(), true).orElseThrow();
        if (!isAllowed(from)) {
            throw new SenderNotAllowed("from " + from.addrSpec() + " is not in RELAY_ALLOWED_FROM");
        }
        Claim claim;
        try {
            claim = store.claim(id, deadline.plusSeconds(1));
        } catch (RuntimeException storeDown) {
            // Sending unclaimed could duplicate a delivered mail; Auth0 retries this one instead.
            Log.errorf("cannot claim webhook-id %s: %s", id, storeDown.getMessage());
            throw new StoreUnavailable("the relay cannot reach its idempotency store; Auth0 will retry");
        }
        if (claim.state() == IdempotencyStore.State.DELIVERED) {
            log.duplicate(n, to, id, started);
            return new Sent("duplicate", claim.messageId());
        }
        if (claim.state() == IdempotencyStore.State.IN_FLIGHT) {
            throw new InFlight("webhook-id " + id + " is being delivered by another invocation right now");
        }
        String messageId = "<" + id + "@" + from.domain() + ">";
        SmtpSender.Delivery delivery;
        try {
            delivery = sender.send(n, from, to, messageId, deadline);
        } catch (RuntimeException e) {
            // Any failure frees the id, an uncertain one included: Auth0's retry may send again (SPEC §4).
            try {
                store.release(id);
            } catch (RuntimeException storeDown) {
                Log.errorf("cannot release webhook-id %s (%s); its lease expires by itself", id, storeDown.getMessage());
            }
            log.failed(n, to, id, started, e);
            throw e;
        }
        try {
            store.delivered(id, delivery.messageId());
        } catch (RuntimeException storeDown) {
            // The mail has left: say so. Only a retry of this very id could now send it twice.
            Log.errorf("delivered webhook-id %s but cannot record it (%s)", id, storeDown.getMessage());
        }
        log.sent(n, to, id, started, delivery);
        return new Sent("sent", delivery.messageId());
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
            return sender.account().map(a -> a.addrSpec().equalsIgnoreCase(address)).orElse(false);
        }
        return allowedFrom.contains(address) || allowedFrom.contains("@" + from.domain());
    }
}
