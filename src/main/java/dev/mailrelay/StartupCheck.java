package dev.mailrelay;

import dev.mailrelay.smtp.SmtpConfig;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.event.Observes;

import io.quarkus.logging.Log;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

import dev.mailrelay.idempotency.IdempotencyStore;
import dev.mailrelay.smtp.SmtpSender;

/**
 * Fails start-up in production when a setting without a safe default is missing, naming every
 * one, so a misconfigured Lambda fails its init instead of dropping mail at the first request.
 * Taking the sender and the store as parameters builds their clients during init, which a
 * SnapStart snapshot keeps, instead of on the first request.
 */
public class StartupCheck {

    void onStart(@Observes StartupEvent event, SmtpConfig smtp, Secrets secrets,
            SignatureVerifier verifier, SmtpSender sender, IdempotencyStore store) {
        List<String> missing = new ArrayList<>();
        if (!secrets.hasRelaySecret()) {
            missing.add("RELAY_SECRET (or RELAY_SECRET_ARN)");
        }
        if (smtp.host().isEmpty()) {
            missing.add("SMTP_HOST");
        }
        if (!secrets.relaySecretRotates()) {
            try {
                SignatureVerifier.checkFormat(secrets.relaySecrets(false));
            } catch (IllegalStateException malformed) {
                throw new IllegalStateException("auth0-mail-relay cannot start: " + malformed.getMessage());
            }
            if (secrets.hasRelaySecret() && "snap-start".equals(System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE"))) {
                // The variable lives in the process's environment, hence in every snapshot of it.
                Log.warn("RELAY_SECRET is a plain variable, so it is part of every SnapStart snapshot: "
                        + "use RELAY_SECRET_ARN (as template.yaml does)");
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            throw new IllegalStateException("auth0-mail-relay cannot start: " + String.join(" and ", missing)
                    + (missing.size() == 1 ? " is" : " are") + " not set (see README, Configuration)");
        }
        if (missing.contains("SMTP_HOST")) {
            Log.warn("SMTP_HOST is not set: accepted mail is logged, not sent (dev mode only)");
        }
    }
}
