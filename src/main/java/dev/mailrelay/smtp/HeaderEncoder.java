package dev.mailrelay.smtp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Writes the header values the relay sets itself (From, To, Subject) as RFC 5322 and RFC 2047
 * want them, instead of the mail client: it folds with a bare LF (refused by servers hardened
 * against SMTP smuggling), writes a non-ASCII display name as an unescaped comment (which a parser
 * can read as a second mailbox), and lets a long subject line pass 998 octets. Every line ends in
 * CRLF and stays short; every non-ASCII or special-laden text becomes encoded-words, whose base64
 * alphabet cannot break out of a phrase.
 */
public final class HeaderEncoder {

    /** RFC 5322 atext plus the space: a display name of only these needs no quoting. */
    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~ ";
    /** Bytes per encoded-word: base64 of 45 bytes is 60 characters, 72 with =?UTF-8?B?…?=, under RFC 2047's 75. */
    private static final int WORD_BYTES = 45;
    private static final int LINE = 78;
    static final String FOLD = "\r\n ";

    private HeaderEncoder() {
    }

    /** {@code phrase <addr-spec>}, or the bare {@code <addr-spec>}; the address is already validated. */
    public static String mailbox(String displayName, String addrSpec) {
        if (displayName == null || displayName.isBlank()) {
            return "<" + addrSpec + ">";
        }
        return phrase(displayName.strip()) + FOLD + "<" + addrSpec + ">";
    }

    /** A display name as an atom run, a quoted-string, or encoded-words. */
    static String phrase(String name) {
        if (!printableAscii(name) || name.contains("=?")) {
            return encodedWords(name);
        }
        if (name.chars().allMatch(c -> Character.isLetterOrDigit(c) || ATEXT_SPECIALS.indexOf(c) >= 0) && !name.contains("  ")) {
            return name;
        }
        String quoted = "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        // A quoted-string cannot be folded inside; one too long for the From line becomes encoded-words, which can.
        return quoted.length() <= LINE - 8 ? quoted : encodedWords(name); // "From: " and a margin
    }

    /** Unstructured text (Subject): folded at spaces when it is plain ASCII, encoded-words otherwise. */
    public static String unstructured(String headerName, String text) {
        if (text.isEmpty()) {
            return "";
        }
        if (!printableAscii(text) || text.contains("=?")) {
            return encodedWords(text);
        }
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        int room = LINE - headerName.length() - 2;
        for (String word : text.split("(?= )")) {
            if (line.length() > 0 && line.length() + word.length() > room) {
                lines.add(line.toString());
                line.setLength(0);
                room = LINE;
            }
            line.append(word);
        }
        lines.add(line.toString());
        // A word too long for any line (998 octets at most) is carried as encoded-words instead.
        return lines.stream().anyMatch(l -> l.length() > 900 || l.isBlank()) ? encodedWords(text) : String.join("\r\n", lines);
    }

    /** UTF-8 B encoded-words, never splitting a character, one per folded line. */
    static String encodedWords(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<String> words = new ArrayList<>();
        for (int start = 0; start < bytes.length;) {
            int end = Math.min(start + WORD_BYTES, bytes.length);
            while (end < bytes.length && (bytes[end] & 0xC0) == 0x80) {
                end--; // back off a UTF-8 continuation byte: the word ends on a character boundary
            }
            words.add("=?UTF-8?B?" + Base64.getEncoder().encodeToString(Arrays.copyOfRange(bytes, start, end)) + "?=");
            start = end;
        }
        return String.join(FOLD, words);
    }

    private static boolean printableAscii(String s) {
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7F);
    }
}
