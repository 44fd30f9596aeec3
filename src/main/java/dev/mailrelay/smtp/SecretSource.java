package dev.mailrelay.smtp;

import java.util.Optional;

/**
 * Where the SMTP classes get their secrets, without knowing where they are kept (a variable or
 * Secrets Manager). A failure to read passes through unchanged: it is the store's, not the server's.
 */
public interface SecretSource {

    /** The SMTP password; {@code fresh} reads it again (rate-limited). */
    Optional<String> smtpPassword(boolean fresh);

    /** Whether a fresh read can answer something new (the password lives in Secrets Manager). */
    boolean smtpPasswordRotates();

    /** Another secret, by its ARN (an OAuth client secret, a service account key); {@code fresh} as above. */
    String secret(String arn, boolean fresh);
}
