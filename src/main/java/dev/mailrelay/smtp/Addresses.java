package dev.mailrelay.smtp;

import java.util.regex.Pattern;

/** The little the SMTP classes need to know of addresses: whether a user name is one, its domain, and redaction. */
public final class Addresses {

    /** Anything shaped like an address, quoted local parts included, for redaction only. */
    private static final Pattern ANY_ADDRESS = Pattern.compile("(\"[^\"\\r\\n]{0,64}\"|[^\\s<>@\"(),;:]+)@([A-Za-z0-9.-]+)");
    private static final Pattern PLAIN_ADDRESS = Pattern.compile("[^\\s@<>\"(),;:]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");

    private Addresses() {
    }

    /** Every address in {@code text} as ***@domain: server replies quote addresses. */
    public static String redact(String text) {
        return text == null ? null : ANY_ADDRESS.matcher(text).replaceAll("***@$2");
    }

    /** Whether an account name (SMTP_USERNAME) is a plain address, so it can be the envelope sender. */
    static boolean isAddress(String name) {
        return name != null && PLAIN_ADDRESS.matcher(name.strip()).matches();
    }

    /** The account name as an addr-spec when it is one: the envelope sender (SES and SendGrid names are not). */
    static java.util.Optional<String> envelopeAccount(java.util.Optional<String> username) {
        return username.filter(Addresses::isAddress).map(String::strip);
    }

    /** The part after the last @ ("@example.org" entries included), or the whole text when there is none. */
    static String domainOf(String address) {
        String s = address.strip();
        return s.substring(s.lastIndexOf('@') + 1);
    }
}
