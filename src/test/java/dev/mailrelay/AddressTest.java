package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressTest {

    @ParameterizedTest
    @CsvSource({
            "jane.doe@example.org, jane.doe@example.org",
            "JANE@Example.ORG, JANE@example.org",
            "o'brien+tag@example.co.uk, o'brien+tag@example.co.uk",
            "\"john.smith..x\"@example.org, \"john.smith..x\"@example.org",
            "jane@bücher.example, jane@xn--bcher-kva.example",
            "'  jane@example.org  ', jane@example.org" })
    void acceptsAMailboxAndSendsItsAsciiForm(String text, String addrSpec) {
        assertThat(Address.parse(text, false)).get().extracting(Address::addrSpec).isEqualTo(addrSpec);
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "jane", "jane@", "@example.org", "jane@example", "jane@-example.org", "jane@example..org",
            "jane..doe@example.org", ".jane@example.org", "jäne@example.org", "jane@exam_ple.org", "a b@example.org",
            "jane@example.org>", "<jane@example.org>", "Jane <jane@example.org>", "\"john smith\"@example.org" })
    void refusesWhatIsNotOneBareMailbox(String text) {
        assertThat(Address.parse(text, false)).isEmpty();
    }

    @Test
    void refusesAnOverlongLocalPart() {
        assertThat(Address.parse("a".repeat(65) + "@example.org", false)).isEmpty();
        assertThat(Address.parse("a".repeat(64) + "@example.org", false)).isPresent();
    }

    @Test
    void acceptsADisplayNameOnlyWhereAllowed() {
        assertThat(Address.parse("Example <noreply@example.com>", true)).get()
                .extracting(Address::displayName, Address::addrSpec).containsExactly("Example", "noreply@example.com");
        assertThat(Address.parse("Example <noreply@example.com>", false)).isEmpty();
        assertThat(Address.parse("Eve\u0000 <noreply@example.com>", true)).isEmpty();
    }

    @Test
    void unquotesADisplayNameAndRefusesStrayQuotesOrBackslashes() {
        assertThat(Address.parse("\"Acme, \\\"Inc.\\\"\" <a@example.com>", true).orElseThrow().displayName()).isEqualTo("Acme, \"Inc.\"");
        assertThat(Address.parse("Acme, Inc. <a@example.com>", true).orElseThrow().displayName()).isEqualTo("Acme, Inc.");
        assertThat(Address.parse("Ac\"me <a@example.com>", true)).isEmpty();
        assertThat(Address.parse("\"Acme\\\" <a@example.com>", true)).isEmpty();
        assertThat(Address.parse("Ac\\me <a@example.com>", true)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = { "\"p,q\"@example.org", "\"p(q\"@example.org", "\"p<q\"@example.org", "\"p>q\"@example.org",
            "\"p@q\"@example.org", "\"p\\\\q\"@example.org", "\"p q\"@example.org", "\"\"@example.org" })
    void refusesQuotedLocalPartsTheMailClientCannotCarry(String address) {
        assertThat(Address.parse(address, false)).isEmpty();
    }

    @Test
    void refusesOverlongTextQuicklyInsteadOfOverflowingTheStack() {
        String name = "\"" + "\\a".repeat(20_000) + "\"";
        assertThat(Address.parse(name + " <a@example.com>", true)).isEmpty();
        assertThat(Address.parse("\"" + "a".repeat(400) + "\" <a@example.com>", true)).isPresent();
    }

    @Test
    void redactsEveryAddressButKeepsItsDomain() {
        assertThat(dev.mailrelay.smtp.Addresses.redact("5.1.1 <jane.doe@example.org>: Recipient address rejected; see bob@corp.example"))
                .isEqualTo("5.1.1 <***@example.org>: Recipient address rejected; see ***@corp.example");
        assertThat(dev.mailrelay.smtp.Addresses.redact(null)).isNull();
        assertThat(dev.mailrelay.smtp.Addresses.redact("cannot send to \"p,q\"@example.org or \"john..doe\"@example.net"))
                .isEqualTo("cannot send to ***@example.org or ***@example.net");
    }
}
