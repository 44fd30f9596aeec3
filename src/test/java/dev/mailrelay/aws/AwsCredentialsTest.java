package dev.mailrelay.aws;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

/** Where the relay finds the execution role's keys: properties, variables, or (SnapStart) the container endpoint. */
class AwsCredentialsTest {

    private static final Instant NOW = Instant.parse("2026-11-22T02:00:00Z");

    private final Map<String, String> env = new HashMap<>();
    private final Map<String, String> properties = new HashMap<>();
    private WireMockServer endpoint;

    @BeforeEach
    void start() {
        endpoint = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        endpoint.start();
    }

    @AfterEach
    void stop() {
        endpoint.stop();
    }

    private AwsCredentials credentials(Instant now) {
        return new AwsCredentials(env::get, properties::get, new ObjectMapper(), Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void usesTheLambdaEnvironmentKeysWithTheirSessionToken() {
        env.putAll(Map.of("AWS_ACCESS_KEY_ID", "ASIAENV", "AWS_SECRET_ACCESS_KEY", "env-secret-key", "AWS_SESSION_TOKEN",
                "env-session-token", "AWS_REGION", "eu-central-1"));
        AwsCredentials.Keys keys = credentials(NOW).keys();
        assertThat(keys.accessKeyId()).isEqualTo("ASIAENV");
        assertThat(keys.sessionToken()).isEqualTo("env-session-token");
        assertThat(credentials(NOW).region()).isEqualTo("eu-central-1");
        assertThat(keys.toString()).doesNotContain("env-secret-key").doesNotContain("env-session-token");
    }

    @Test
    void systemPropertiesComeFirstAsInTheSdkChain() {
        env.putAll(Map.of("AWS_ACCESS_KEY_ID", "ASIAENV", "AWS_SECRET_ACCESS_KEY", "secret", "AWS_REGION", "eu-central-1"));
        properties.putAll(Map.of("aws.accessKeyId", "AKIAPROP", "aws.secretAccessKey", "prop-secret", "aws.region", "us-west-2"));
        assertThat(credentials(NOW).keys().accessKeyId()).isEqualTo("AKIAPROP");
        assertThat(credentials(NOW).region()).isEqualTo("us-west-2");
    }

    @Test
    void readsTheContainerEndpointWhenSnapStartLeavesTheVariablesOut() {
        env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.baseUrl() + "/2021-04-23/credentials");
        env.put("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-token");
        serves("ASIAONE", "2026-11-22T03:00:00Z");
        AwsCredentials credentials = credentials(NOW);

        assertThat(credentials.keys().accessKeyId()).isEqualTo("ASIAONE");
        assertThat(credentials.keys().sessionToken()).isEqualTo("session-ASIAONE");
        assertThat(credentials.keys().expiresAt()).isEqualTo(Instant.parse("2026-11-22T03:00:00Z"));
        endpoint.verify(1, getRequestedFor(urlEqualTo("/2021-04-23/credentials")).withHeader("Authorization", equalTo("auth-token")));
    }

    @Test
    void fetchesNewContainerKeysFiveMinutesBeforeTheOldExpire() {
        env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.baseUrl() + "/2021-04-23/credentials");
        serves("ASIAOLD", "2026-11-22T02:10:00Z");
        java.util.concurrent.atomic.AtomicReference<Instant> now = new java.util.concurrent.atomic.AtomicReference<>(NOW);
        AwsCredentials credentials = new AwsCredentials(env::get, properties::get, new ObjectMapper(), new Clock() {
            @Override
            public Instant instant() {
                return now.get();
            }

            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        });
        assertThat(credentials.keys().accessKeyId()).isEqualTo("ASIAOLD");
        serves("ASIANEW", "2026-11-22T04:00:00Z");
        now.set(NOW.plusSeconds(4 * 60)); // 6 minutes before expiry: still the old keys
        assertThat(credentials.keys().accessKeyId()).isEqualTo("ASIAOLD");
        now.set(NOW.plusSeconds(6 * 60)); // 4 minutes before expiry
        assertThat(credentials.keys().accessKeyId()).isEqualTo("ASIANEW");
    }

    @Test
    void namesTheMissingVariablesWhenNoKeysAreAnywhere() {
        assertThatThrownBy(() -> credentials(NOW).keys()).isInstanceOf(AwsCallFailed.class)
                .hasMessageContaining("AWS_ACCESS_KEY_ID").hasMessageContaining("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        assertThatThrownBy(() -> credentials(NOW).region()).isInstanceOf(AwsCallFailed.class).hasMessageContaining("AWS_REGION");
    }

    @Test
    void aFailingContainerEndpointIsAnAwsFailureNotACrash() {
        env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.baseUrl() + "/2021-04-23/credentials");
        endpoint.stubFor(get(urlEqualTo("/2021-04-23/credentials")).willReturn(aResponse().withStatus(500)));
        assertThatThrownBy(() -> credentials(NOW).keys()).isInstanceOf(AwsCallFailed.class).hasMessageContaining("500");
    }

    @Test
    void neverFetchesCredentialsInTheClearFromAnotherHost() {
        // Resolves to the stand-in, but by a name: only loopback literals and the container agents may be http.
        env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://credentials.example.test:" + endpoint.port() + "/2021-04-23/credentials");
        // The exact refusal, not any failure: without the check this would fail later, on the unresolvable name.
        assertThatThrownBy(() -> credentials(NOW).keys()).isInstanceOf(AwsCallFailed.class).hasMessage(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or container credentials address");
        assertThat(endpoint.getAllServeEvents()).isEmpty();
    }

    private void serves(String accessKeyId, String expiration) {
        endpoint.stubFor(get(urlEqualTo("/2021-04-23/credentials")).willReturn(aResponse().withStatus(200)
                .withBody("{\"AccessKeyId\":\"" + accessKeyId + "\",\"SecretAccessKey\":\"s\",\"Token\":\"session-" + accessKeyId
                        + "\",\"Expiration\":\"" + expiration + "\"}")));
    }
}
