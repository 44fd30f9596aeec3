package dev.mailrelay.oauth;

import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.mailrelay.aws.Endpoints;

/**
 * How a token is asked for: the form a token endpoint takes. Secret material comes from a
 * supplier (cached; {@link #renewSecret} re-reads Secrets Manager) and is read only when a token is fetched.
 */
public sealed interface Grant {

    /** Google's token endpoint, when the service account key names none. */
    URI GOOGLE_TOKEN_URL = URI.create("https://oauth2.googleapis.com/token");

    /** Where the form is posted. */
    URI tokenUrl();

    /** The form's fields, built at {@code now}. */
    Map<String, String> form(Instant now);

    /** Reads the secret material again (a rotation in Secrets Manager); true when it changed, so a refusal is worth one more try. */
    boolean renewSecret();

    /**
     * Client credentials (RFC 6749 4.4), the secret in the body: Microsoft Entra ID and most
     * OAuth 2.0 servers.
     */
    record ClientCredentials(URI tokenUrl, String clientId, Function<Boolean, String> secret, String scope) implements Grant {
        @Override
        public Map<String, String> form(Instant now) {
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", "client_credentials");
            form.put("client_id", clientId);
            form.put("client_secret", secret.apply(false));
            form.put("scope", scope);
            return form;
        }

        @Override
        public boolean renewSecret() {
            String before = secret.apply(false);
            return !before.equals(secret.apply(true));
        }
    }

    /**
     * A JWT bearer assertion (RFC 7523) signed with a Google service account's key, for the
     * mailbox {@code subject} (domain-wide delegation).
     */
    record JwtBearer(Optional<URI> tokenUrlOverride, Supplier<ServiceAccountKey> key, java.util.function.BooleanSupplier renewKey,
            String subject, String scope) implements Grant {
        /** SMTP_OAUTH_TOKEN_URL, else the key's token_uri (https, or loopback), else Google's. */
        @Override
        public URI tokenUrl() {
            return tokenUrlOverride.orElseGet(() -> key.get().tokenUri()
                    .map(uri -> Endpoints.checked(uri, "the service account key's token_uri")).orElse(GOOGLE_TOKEN_URL));
        }

        @Override
        public Map<String, String> form(Instant now) {
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
            form.put("assertion", key.get().assertion(subject, scope, tokenUrl(), now));
            return form;
        }

        @Override
        public boolean renewSecret() {
            return renewKey.getAsBoolean();
        }
    }
}
