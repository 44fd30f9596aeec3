package dev.mailrelay;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.mailrelay.smtp.SendPolicy;

/** The relay's settings that shape sending, as the smtp package takes them (it never reads the relay's configuration). */
public class SmtpWiring {

    @Produces
    @Singleton
    SendPolicy sendPolicy(RelayConfig relay) {
        return new SendPolicy(relay.retry().maxAttempts(), relay.retry().delay(), relay.retry().jitter(), relay.timeBudget(),
                relay.breaker().failures(), relay.breaker().delay(), relay.allowedFrom().orElse(java.util.List.of()));
    }
}
