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
    /**
     * Quoted local parts of atext and dots only ("john..doe"): the mail client cannot carry a space
     * or a special (a comma, parenthesis, angle bracket, @ or backslash) in one.
     */
    private static final Pattern QUOTED = Pattern.compile("\"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+\"");
    /** Longest accepted text: an address is at most 254, a display name a few dozen characters. */
    static final int MAX_LENGTH = 512;
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern NAME_ADDR = Pattern.compile("([^<>]*)<([^<>]+)>");

    /** Parses a bare address, or with {@code withDisplayName} also the {@code Name <address>} form. */
    public static Optional<Address> parse(String text, boolean withDisplayName) {
        if (text == null || text.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        String display = null;
        String spec = text.strip();
        Matcher nameAddr = NAME_ADDR.matcher(spec);
        if (withDisplayName && nameAddr.matches()) {
            display = displayName(nameAddr.group(1).strip());
            spec = nameAddr.group(2).strip();
            if (display == null) {
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

    /**
     * The display name as text: unquoted and unescaped when it came as a quoted-string; null when
     * it holds a control character, or a quote or backslash outside a quoted-string. A loop, not
     * a regex: a regex alternation recurses per character and overflows the stack on long input.
     */
    private static String displayName(String raw) {
        boolean quoted = raw.length() > 1 && raw.charAt(0) == '"' && raw.charAt(raw.length() - 1) == '"';
        String inner = quoted ? raw.substring(1, raw.length() - 1) : raw;
        StringBuilder name = new StringBuilder(inner.length());
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (Character.isISOControl(c)) {
                return null;
            }
            if (c == '"' || c == '\\') {
                if (!quoted || c == '"' || i + 1 == inner.length() || Character.isISOControl(inner.charAt(i + 1))) {
                    return null;
                }
                c = inner.charAt(++i);
            }
            name.append(c);
        }
        return name.toString();
    }

    /** The address as it goes into the SMTP envelope. */
    public String addrSpec() {
        return localPart + "@" + domain;
    }
}
