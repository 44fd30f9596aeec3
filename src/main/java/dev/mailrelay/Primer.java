package dev.mailrelay;

import java.net.URI;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;

import dev.mailrelay.smtp.SmtpSender;

/**
 * Runs the request path once during init, so its classes are loaded and initialised then rather
 * than on the first login email: JSON parsing and Bean Validation of a notification, the
 * signature check, the MIME encoding, the retry and breaker guard, a TLS ClientHello, the success
 * body and the AWS clients' HTTP stack. It sends nothing, opens no connection and reads no secret
 * (a throwaway key signs), so a SnapStart snapshot holds nothing that must stay fresh or private.
 *
 * <p>It runs when the init is off the request path: before a SnapStart snapshot and for
 * provisioned concurrency (AWS_LAMBDA_INITIALIZATION_TYPE). In an on-demand cold start it would
 * only move the same work from the first request into the init, which the first request waits
 * for anyway (docs/performance.md measures both).
 */
public class Primer {

    void onStart(@Observes StartupEvent event, Instance<NotificationResource> resource, SmtpSender sender, ObjectMapper mapper) {
        String type = System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE");
        if (!"snap-start".equals(type) && !"provisioned-concurrency".equals(type)) {
            return;
        }
        long started = System.nanoTime();
        try {
            prime(resource.get(), sender, mapper);
            Log.infof("primed the request path in %d ms (%s init)", (System.nanoTime() - started) / 1_000_000, type);
        } catch (Exception | LinkageError e) {
            // Priming only saves time; a failure here must not fail the init (the tests fail on it).
            Log.warnf("priming failed (%s); the first request loads what it needs", e);
        }
    }

    static void prime(NotificationResource resource, SmtpSender sender, ObjectMapper mapper) throws Exception {
        requestPath(resource, sender, mapper);
        clientHello();
        // The AWS clients' HTTP stack, without a connection.
        URI.create("https://dynamodb.us-east-1.amazonaws.com/").toURL().openConnection().setRequestProperty("X-Amz-Target", "none");
    }

    /** The part of {@link #prime} a request runs every time; {@code CheckpointPriming} repeats it. */
    static void requestPath(NotificationResource resource, SmtpSender sender, ObjectMapper mapper) throws Exception {
        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("to", "jane.doe@example.org");
        sample.put("from", "Example <noreply@example.com>");
        sample.put("subject", "Verify your email – Ünïcödé");
        sample.put("html", "<p>Hello Jane, <a href=\"https://example.com/verify?t=x\">verify</a>.</p>");
        sample.put("text", "Hello Jane, verify: https://example.com/verify?t=x");
        sample.put("locale", "en-US");
        sample.put("message_type", "verify_email");
        sample.put("tenant", "example-tenant");
        sample.put("client_id", "client");
        sample.put("correlation_id", "priming");
        byte[] body = mapper.writeValueAsBytes(sample);
        if (!SignatureVerifier.prime("msg_priming", Long.toString(Instant.now().getEpochSecond()), body)) {
            throw new IllegalStateException("the priming signature did not verify");
        }
        Notification n = resource.parse(body);
        Address to = Address.parse(n.to(), false).orElseThrow();
        Address from = Address.parse(n.from(), true).orElseThrow();
        sender.prime(NotificationService.message(n, from, to), "<priming@relay.invalid>");
        mapper.writeValueAsBytes(new NotificationResource.Sent("sent", "<priming@relay.invalid>"));
    }

    /** The first flight of a TLS handshake, into a buffer: key shares, cipher suites, the default trust store. */
    private static void clientHello() throws GeneralSecurityException {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init((KeyStore) null);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        SSLEngine engine = context.createSSLEngine("relay.invalid", 587);
        engine.setUseClientMode(true);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        try {
            engine.beginHandshake();
            engine.wrap(ByteBuffer.allocate(0), out);
        } catch (javax.net.ssl.SSLException e) {
            throw new GeneralSecurityException(e);
        } finally {
            engine.closeOutbound();
        }
        if (out.position() == 0) {
            throw new IllegalStateException("no ClientHello was produced");
        }
    }
}
