package dev.mailrelay.smtp;

/**
 * One message to send, already validated by the relay: addresses as addr-specs, the display name
 * apart, the bodies as Auth0 wrote them.
 *
 * @param fromName the From display name, or null
 * @param fromAddress the From addr-spec
 * @param toAddress the recipient's addr-spec
 * @param subject the subject, any Unicode
 * @param html the html body, or null
 * @param text the text body, or null
 * @param messageType Auth0's message_type, for the log
 */
public record Message(String fromName, String fromAddress, String toAddress, String subject, String html, String text,
        String messageType) {

    /** The recipient's domain: what a log line may name. */
    String toDomain() {
        return Addresses.domainOf(toAddress);
    }
}
