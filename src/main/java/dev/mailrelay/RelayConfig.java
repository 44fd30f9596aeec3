package dev.mailrelay;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The relay's own settings; each key is also read from the environment (relay.secret = RELAY_SECRET). */
@ConfigMapping(prefix = "relay")
public interface RelayConfig {

    /** Standard Webhooks secrets (whsec_…), comma-separated; several are accepted during a rotation. */
    Optional<List<String>> secret();

    /** Allowed from addresses and @domain entries; empty allows only SMTP_USERNAME when it is an address. */
    Optional<List<String>> allowedFrom();

    /** Largest request body accepted, in bytes; larger ones are answered 413. */
    @WithDefault("262144")
    int maxBodyBytes();

    /** Longest a whole SMTP send may take before the relay answers 504; stays inside the 12 s answer budget. */
    @WithDefault("10s")
    Duration sendTimeout();

    /** The SMTP account the relay sends through (SMTP_* variables). */
    @ConfigMapping(prefix = "smtp")
    interface Smtp {

        /** SMTP server host name; unset in dev mode means mail is logged, not sent. */
        Optional<String> host();

        /** SMTP server port. */
        @WithDefault("587")
        int port();

        /** Account name for AUTH; also the envelope sender when it is an address. */
        Optional<String> username();

        /** Account password for AUTH. */
        Optional<String> password();

        /** How the connection is secured. */
        @WithDefault("starttls")
        TlsMode tls();

        /** PEM file of extra certificates to trust, on top of the JVM's public CAs. */
        Optional<Path> caFile();

        /** Longest a TCP connect to the SMTP server may take. */
        @WithDefault("5s")
        Duration connectTimeout();
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
