package dev.mailrelay;

import java.net.IDN;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One mailbox (RFC 5321 Mailbox, optionally with an RFC 5322 display name). Internationalised
 * domains are carried in their ASCII (punycode) form, since SMTPUTF8 cannot be assumed of the
 * user's SMTP server; non-ASCII local parts are refused for the same reason.
 */
public record Address(String displayName, String localPart, String domain) {

    private static final Pattern DOT_ATOM = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
    /** Quoted local parts without white space: the mail client cannot write one with a space. */
    private static final Pattern QUOTED = Pattern.compile("\"([\\x21\\x23-\\x5B\\x5D-\\x7E]|\\\\[\\x21-\\x7E])*\"");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern NAME_ADDR = Pattern.compile("([^<>]*)<([^<>]+)>");
    private static final Pattern DISPLAY_NAME = Pattern.compile("[^\\p{Cntrl}\"\\\\]*|\"([^\\p{Cntrl}\"\\\\]|\\\\[\\x20-\\x7E])*\"");
    private static final Pattern ANY_ADDRESS = Pattern.compile("[^\\s<>@\"]+@([A-Za-z0-9.-]+)");

    /** Parses a bare address, or with {@code withDisplayName} also the {@code Name <address>} form. */
    public static Optional<Address> parse(String text, boolean withDisplayName) {
        if (text == null) {
            return Optional.empty();
        }
        String display = null;
        String spec = text.strip();
        Matcher nameAddr = NAME_ADDR.matcher(spec);
        if (withDisplayName && nameAddr.matches()) {
            display = nameAddr.group(1).strip();
            spec = nameAddr.group(2).strip();
            if (!DISPLAY_NAME.matcher(display).matches()) {
                return Optional.empty();
            }
        }
        int at = spec.lastIndexOf('@');
        if (at < 1 || at == spec.length() - 1 || spec.length() > 254) {
            return Optional.empty();
        }
        String local = spec.substring(0, at);
        if (local.length() > 64 || !(DOT_ATOM.matcher(local).matches() || QUOTED.matcher(local).matches())) {
            return Optional.empty();
        }
        String name = display == null || display.isEmpty() ? null : display;
        return asciiDomain(spec.substring(at + 1)).map(domain -> new Address(name, local, domain));
    }

    private static Optional<String> asciiDomain(String domain) {
        String ascii;
        try {
            ascii = IDN.toASCII(domain, 0).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        String[] labels = ascii.split("\\.", -1);
        if (labels.length < 2 || ascii.length() > 253) {
            return Optional.empty();
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return Optional.empty();
            }
        }
        return Optional.of(ascii);
    }

    /** The address as it goes into the SMTP envelope. */
    public String addrSpec() {
        return localPart + "@" + domain;
    }

    /**
     * {@code Name <address>} for the mail client. It encodes non-ASCII names itself but writes an
     * ASCII name as given, so one with specials (a comma, say) is quoted here.
     */
    public String header() {
        if (displayName == null) {
            return addrSpec();
        }
        boolean quoted = displayName.length() > 1 && displayName.startsWith("\"") && displayName.endsWith("\"");
        String name = quoted ? displayName.substring(1, displayName.length() - 1).replaceAll("\\\\(.)", "$1") : displayName;
        boolean ascii = name.chars().allMatch(c -> c < 128);
        boolean specials = name.chars().anyMatch(c -> "()<>[]:;@\\,.\"".indexOf(c) >= 0);
        String phrase = ascii && specials ? "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"" : name;
        return phrase + " <" + addrSpec() + ">";
    }

    /** Replaces every address in a text by {@code ***@domain}, so it can be logged. */
    public static String redact(String text) {
        return text == null ? null : ANY_ADDRESS.matcher(text).replaceAll("***@$1");
    }
}
