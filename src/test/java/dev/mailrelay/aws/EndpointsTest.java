package dev.mailrelay.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AWS calls go over https, or over http to this machine only (DynamoDB Local, stand-ins), as the AWS SDKs allow. */
class EndpointsTest {

    @ParameterizedTest
    @ValueSource(strings = { "https://dynamodb.eu-west-1.amazonaws.com", "https://vpce-1.secretsmanager.example.com:8443",
            "http://localhost:8000", "http://127.0.0.1:4566", "http://[::1]:8000" })
    void acceptsHttpsAndLoopback(String uri) {
        assertThat(Endpoints.checked(URI.create(uri), "RELAY_IDEMPOTENCY_ENDPOINT")).isEqualTo(URI.create(uri));
    }

    @ParameterizedTest
    @ValueSource(strings = { "http://dynamodb.eu-west-1.amazonaws.com", "http://10.0.0.5:8000", "http://localhost.evil.test",
            "http://169.254.170.2/", "ftp://localhost/", "file:///etc/passwd" })
    void refusesAnythingThatWouldTravelInTheClear(String uri) {
        assertThatThrownBy(() -> Endpoints.checked(URI.create(uri), "RELAY_IDEMPOTENCY_ENDPOINT"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("RELAY_IDEMPOTENCY_ENDPOINT must be an https://");
    }

    @ParameterizedTest
    @ValueSource(strings = { "http://169.254.170.2/v2/credentials", "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials", "http://127.0.0.1:9001/2021-04-23/credentials" })
    void allowsTheContainerCredentialAgentsForCredentialsOnly(String uri) {
        assertThat(Endpoints.allowed(URI.create(uri), true)).isTrue();
    }
}
