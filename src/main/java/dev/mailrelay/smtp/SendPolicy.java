package dev.mailrelay.smtp;

import java.time.Duration;
import java.util.List;

/**
 * How sending behaves, from the relay's own settings (RELAY_RETRY_*, RELAY_BREAKER_*,
 * RELAY_TIME_BUDGET, RELAY_ALLOWED_FROM), handed in by the relay's wiring.
 *
 * @param maxAttempts attempts per server for one message, the first included
 * @param retryDelay pause before a retry
 * @param retryJitter random spread of that pause
 * @param timeBudget longest all SMTP work for one message may take
 * @param breakerFailures transient failures in a row that open a server's circuit breaker
 * @param breakerDelay how long an open breaker answers at once
 * @param sendingAddresses the allowed From addresses and @domains (the EHLO name's default comes from them)
 */
public record SendPolicy(int maxAttempts, Duration retryDelay, Duration retryJitter, Duration timeBudget, int breakerFailures,
        Duration breakerDelay, List<String> sendingAddresses) {
}
