package dev.mailrelay;

import java.time.Duration;
import java.util.Map;

/** {@link TokenEndpointStandIn} for tests outside this package (its methods are package-private). */
public final class TokenEndpointAccess {

    private final TokenEndpointStandIn standIn = new TokenEndpointStandIn();
    private final String tokenUrl;

    private TokenEndpointAccess() {
        standIn.init(Map.of("provider", "microsoft"));
        tokenUrl = standIn.start().get("smtp.oauth.token-url");
    }

    public static TokenEndpointAccess microsoft() {
        return new TokenEndpointAccess();
    }

    public String tokenUrl() {
        return tokenUrl;
    }

    public void issues(String... tokens) {
        standIn.issues(tokens);
    }

    public void refuses(int status, String error, String description) {
        standIn.refuses(status, error, description);
    }

    public void fails(int status) {
        standIn.fails(status);
    }

    public void staysSilentFor(Duration delay) {
        standIn.staysSilentFor(delay);
    }

    public void acceptsOnlySecret(String secret, String token) {
        standIn.acceptsOnlySecret(secret, token);
    }

    public int calls() {
        return standIn.calls();
    }

    public void stop() {
        standIn.stop();
    }
}
