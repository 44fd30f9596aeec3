package dev.mailrelay.smtp;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.mailrelay.aws.Endpoints;
import dev.mailrelay.oauth.AccessTokens;
import dev.mailrelay.oauth.Grant;
import dev.mailrelay.oauth.ServiceAccountKey;

import dev.mailrelay.smtp.SmtpConfig.AuthMode;

/**
 * What an SMTP route signs in with (SMTP_AUTH): a password, sent with AUTH PLAIN or LOGIN, or an
 * OAuth 2.0 access token from Microsoft Entra ID, Google (a service account with domain-wide
 * delegation) or any token endpoint, sent with AUTH XOAUTH2.
 */
public interface SignIn {

    /** The current password or token; {@code fresh} reads it again (Secrets Manager, the token endpoint). */
    String secret(boolean fresh, Instant deadline);

    /** Whether a fresh read can answer something new, so that a refused login is worth one more try. */
    boolean renewable();

    /** The AUTH mechanisms it can use, by preference; the route picks one the server offers. */
    List<String> mechanisms();

    /** Drops what it keeps (an access token), as if the instance were new (tests). */
    default void forget() {
    }

    /** Whether the secret in use was obtained at or after {@code instant} (a token fetched for this very request). */
    default boolean renewedSince(Instant instant) {
        return false;
    }

    /** Whether it signs in with an access token (the advice for a refusal differs). */
    default boolean oauth() {
        return false;
    }

    /** A password from {@code password}, read again when {@code rotates} (Secrets Manager). */
    static SignIn password(Function<Boolean, Optional<String>> password, boolean rotates) {
        return new SignIn() {
            public String secret(boolean fresh, Instant deadline) {
                return password.apply(fresh).orElse("");
            }

            public boolean renewable() {
                return rotates;
            }

            public List<String> mechanisms() {
                return SmtpRoute.MECHANISMS;
            }
        };
    }

    /** Access tokens, renewed before they expire and after the server refused one. */
    static SignIn tokens(AccessTokens tokens) {
        return new SignIn() {
            public String secret(boolean fresh, Instant deadline) {
                return tokens.token(fresh, deadline);
            }

            public boolean renewable() {
                return true;
            }

            public List<String> mechanisms() {
                return List.of("XOAUTH2");
            }

            public void forget() {
                tokens.forget();
            }

            public boolean renewedSince(Instant instant) {
                return !tokens.fetchedAt().isBefore(instant);
            }

            public boolean oauth() {
                return true;
            }
        };
    }

    /**
     * The primary account's sign-in, as SMTP_AUTH and the SMTP_OAUTH_* variables describe it.
     *
     * @throws IllegalStateException naming every variable SMTP_AUTH needs that is not set
     */
    static SignIn primary(SmtpConfig smtp, SecretSource secrets, ObjectMapper json) {
        List<String> missing = missing(smtp);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("auth0-mail-relay cannot start: SMTP_AUTH=" + smtp.auth().name().toLowerCase()
                    + " needs " + String.join(" and ", missing) + " (see README, Configuration)");
        }
        SmtpConfig.OAuth o = smtp.oauth();
        Optional<URI> tokenUrl = o.tokenUrl().map(uri -> Endpoints.checked(uri, "SMTP_OAUTH_TOKEN_URL"));
        Function<Boolean, String> clientSecret = fresh -> o.clientSecretArn().filter(a -> !a.isBlank())
                .map(arn -> secrets.secret(arn, fresh)).orElseGet(() -> o.clientSecret().orElse(""));
        Grant grant = switch (smtp.auth()) {
            case PASSWORD -> null;
            case MICROSOFT -> new Grant.ClientCredentials(tokenUrl.orElseGet(() -> URI.create("https://login.microsoftonline.com/"
                    + URLEncoder.encode(o.tenantId().orElse(""), StandardCharsets.UTF_8) + "/oauth2/v2.0/token")),
                    o.clientId().orElse(""), clientSecret, o.scope().orElse("https://outlook.office365.com/.default"));
            case OAUTH2 -> new Grant.ClientCredentials(tokenUrl.orElseThrow(), o.clientId().orElse(""), clientSecret,
                    o.scope().orElseThrow());
            case GOOGLE -> {
                Function<Boolean, String> keyJson = fresh -> o.serviceAccountArn().filter(a -> !a.isBlank())
                        .map(arn -> secrets.secret(arn, fresh)).orElseGet(() -> o.serviceAccount().orElse(""));
                yield new Grant.JwtBearer(tokenUrl, serviceAccount(keyJson, json),
                        () -> !keyJson.apply(false).equals(keyJson.apply(true)), smtp.username().orElse(""),
                        o.scope().orElse("https://mail.google.com/"));
            }
        };
        return grant == null ? password(secrets::smtpPassword, secrets.smtpPasswordRotates())
                : tokens(new AccessTokens(grant, json, Clock.systemUTC()));
    }

    /** The variables SMTP_AUTH needs that are not set, for the start-up check. */
    static List<String> missing(SmtpConfig smtp) {
        SmtpConfig.OAuth o = smtp.oauth();
        List<String> missing = new ArrayList<>();
        AuthMode mode = smtp.auth();
        if (mode != AuthMode.PASSWORD && smtp.username().isEmpty()) {
            missing.add("SMTP_USERNAME (the mailbox to send as)");
        }
        if (mode == AuthMode.MICROSOFT && o.tenantId().isEmpty() && o.tokenUrl().isEmpty()) {
            missing.add("SMTP_OAUTH_TENANT_ID");
        }
        if ((mode == AuthMode.MICROSOFT || mode == AuthMode.OAUTH2) && o.clientId().isEmpty()) {
            missing.add("SMTP_OAUTH_CLIENT_ID");
        }
        if ((mode == AuthMode.MICROSOFT || mode == AuthMode.OAUTH2) && o.clientSecret().isEmpty() && o.clientSecretArn().isEmpty()) {
            missing.add("SMTP_OAUTH_CLIENT_SECRET (or SMTP_OAUTH_CLIENT_SECRET_ARN)");
        }
        if (mode == AuthMode.GOOGLE && o.serviceAccount().isEmpty() && o.serviceAccountArn().isEmpty()) {
            missing.add("SMTP_OAUTH_SERVICE_ACCOUNT (or SMTP_OAUTH_SERVICE_ACCOUNT_ARN)");
        }
        if (mode == AuthMode.OAUTH2 && o.tokenUrl().isEmpty()) {
            missing.add("SMTP_OAUTH_TOKEN_URL");
        }
        if (mode == AuthMode.OAUTH2 && o.scope().isEmpty()) {
            missing.add("SMTP_OAUTH_SCOPE");
        }
        return missing;
    }

    /** The key, parsed once per value read (a rotation in Secrets Manager gives a new one). */
    private static Supplier<ServiceAccountKey> serviceAccount(Function<Boolean, String> keyJson, ObjectMapper json) {
        return new Supplier<>() {
            private String parsedFrom;
            private ServiceAccountKey key;

            @Override
            public synchronized ServiceAccountKey get() {
                String current = keyJson.apply(false);
                if (!current.equals(parsedFrom)) {
                    key = ServiceAccountKey.parse(current, json);
                    parsedFrom = current;
                }
                return key;
            }
        };
    }
}
