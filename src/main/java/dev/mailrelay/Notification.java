package dev.mailrelay;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The request body of SPEC §2: one Auth0 notification. Fields that become mail headers refuse
 * CR and LF, so no header can be injected; unknown message types are accepted on purpose.
 */
public record Notification(
        @NotBlank @Size(max = 254) @Pattern(regexp = ONE_LINE, message = NO_CRLF) @Mailbox String to,
        @NotBlank @Size(max = Address.MAX_LENGTH) @Pattern(regexp = ONE_LINE, message = NO_CRLF) @Mailbox(displayName = true) String from,
        @NotNull @Size(max = 998) @Pattern(regexp = ONE_LINE, message = NO_CRLF) String subject,
        String html,
        String text,
        @Size(max = 35) @Pattern(regexp = "[A-Za-z0-9_-]*", message = "must be a BCP-47 tag such as en-US") String locale,
        @JsonProperty("message_type") @NotBlank @Size(max = 64) @Pattern(regexp = TOKEN, message = "must be a word such as verify_email") String messageType,
        @NotBlank @Size(max = 128) @Pattern(regexp = ONE_LINE, message = NO_CRLF) String tenant,
        @JsonProperty("client_id") @Size(max = 128) @Pattern(regexp = ONE_LINE, message = NO_CRLF) String clientId,
        @JsonProperty("correlation_id") @Size(max = 128) @Pattern(regexp = ONE_LINE, message = NO_CRLF) String correlationId) {

    static final String ONE_LINE = "[^\\r\\n\\x00]*";
    static final String NO_CRLF = "must not contain CR, LF or NUL";
    static final String TOKEN = "[A-Za-z0-9_.-]+";

    /** A mail needs a body; Auth0 normally sends both parts. */
    @JsonIgnore
    @AssertTrue(message = "html or text must be present")
    public boolean isBodyPresent() {
        return (html != null && !html.isEmpty()) || (text != null && !text.isEmpty());
    }
}
