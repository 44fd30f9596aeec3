package dev.mailrelay.smtp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The SMTP account the relay sends through (SMTP_* variables). */
@ConfigMapping(prefix = "smtp")
public interface SmtpConfig {

    /** SMTP server host name; unset in dev mode means mail is logged, not sent. */
    Optional<String> host();

    /** SMTP server port. */
    @WithDefault("587")
    int port();

    /** Account name for AUTH; also the envelope sender when it is an address. */
    Optional<String> username();

    /** Account password for AUTH. */
    Optional<String> password();

    /** ARN of a Secrets Manager secret holding the account password; replaces SMTP_PASSWORD. */
    Optional<String> passwordSecretArn();

    /** How the relay signs in: a password (AUTH PLAIN/LOGIN), or an OAuth 2.0 access token (AUTH XOAUTH2). */
    @WithDefault("password")
    AuthMode auth();

    /** SMTP_OAUTH_* settings, for SMTP_AUTH other than password. */
    OAuth oauth();

    /** How the connection is secured. */
    @WithDefault("starttls")
    TlsMode tls();

    /** PEM file of extra certificates to trust, on top of the JVM's public CAs. */
    Optional<Path> caFile();

    /** Longest a TCP connect may take. */
    @WithDefault("3s")
    Duration connectTimeout();

    /** Longest a TLS handshake (implicit or after STARTTLS) may take. */
    @WithDefault("3s")
    Duration tlsTimeout();

    /** Longest from connect to the message's hand-over (greeting, EHLO, STARTTLS, AUTH or RSET), on top of the connect timeout. */
    @WithDefault("5s")
    Duration commandTimeout();

    /** How long an idle, authenticated connection is reused for the next message, then closed with QUIT; 0 opens one per message. */
    @WithDefault("15s")
    Duration keepAlive();

    /** Fully qualified name the relay gives in EHLO; unset uses the domain of RELAY_ALLOWED_FROM's first entry, else of SMTP_USERNAME. */
    Optional<String> heloName();

    /** A second SMTP server, used only when the first fails before any message data was sent. */
    Fallback fallback();

    /** SMTP_FALLBACK_* variables; unset port and TLS mode default as for the primary server. */
    interface Fallback {
        /** Fallback SMTP host; unset means no fallback. */
        Optional<String> host();

        /** Fallback SMTP port (default 587). */
        OptionalInt port();

        /** Fallback account name. */
        Optional<String> username();

        /** Fallback account password. */
        Optional<String> password();

        /** Fallback TLS mode (default starttls). */
        Optional<TlsMode> tls();
    }

    /** SMTP_AUTH values. */
    enum AuthMode {
        /** AUTH PLAIN or LOGIN with SMTP_USERNAME and SMTP_PASSWORD. */
        PASSWORD,
        /** Microsoft Entra ID client credentials; AUTH XOAUTH2 as SMTP_USERNAME. */
        MICROSOFT,
        /** A Google service account with domain-wide delegation (JWT bearer); AUTH XOAUTH2 as SMTP_USERNAME. */
        GOOGLE,
        /** Client credentials at any token endpoint; AUTH XOAUTH2 as SMTP_USERNAME. */
        OAUTH2
    }

    /** SMTP_OAUTH_* variables. */
    interface OAuth {
        /** microsoft: the Entra ID tenant (id or domain). */
        Optional<String> tenantId();

        /** microsoft, oauth2: the application (client) id. */
        Optional<String> clientId();

        /** microsoft, oauth2: the client secret. */
        Optional<String> clientSecret();

        /** ARN of a Secrets Manager secret holding the client secret; replaces SMTP_OAUTH_CLIENT_SECRET. */
        Optional<String> clientSecretArn();

        /** google: the service account's JSON key, as Google issues it. */
        Optional<String> serviceAccount();

        /** ARN of a Secrets Manager secret holding the service account's JSON key; replaces SMTP_OAUTH_SERVICE_ACCOUNT. */
        Optional<String> serviceAccountArn();

        /** Token endpoint (https, or http to loopback); defaults per provider, required for oauth2. */
        Optional<java.net.URI> tokenUrl();

        /** Scope asked for; defaults per provider, required for oauth2. */
        Optional<String> scope();
    }

    /** SMTP_TLS values. */
    enum TlsMode {
        /** Plain connect, then STARTTLS, which the server must offer. */
        STARTTLS,
        /** TLS from the first byte (port 465). */
        IMPLICIT,
        /** No TLS at all: local test sinks only. */
        NONE
    }
}
