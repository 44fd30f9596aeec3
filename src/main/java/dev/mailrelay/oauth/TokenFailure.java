package dev.mailrelay.oauth;

/**
 * Thrown when no access token could be had: {@link Kind#UNAVAILABLE} when the token endpoint did
 * not answer usefully (network, timeout, 429, 5xx: try again later), {@link Kind#REFUSED} when it
 * refused the grant (an OAuth error such as {@code invalid_client}: a configuration an admin
 * fixes). The message names the endpoint's host and the provider's own error words, never a
 * secret, assertion or token.
 */
public final class TokenFailure extends RuntimeException {

    /** Why no token came. */
    public enum Kind { UNAVAILABLE, REFUSED }

    private final Kind kind;

    TokenFailure(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
