package dev.mailrelay.aws;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;

/** The AWS JSON protocol as the relay speaks it, with WireMock as the service. */
class AwsJsonClientTest {

    private WireMockServer service;
    private AwsJsonClient client;

    @BeforeEach
    void start() {
        service = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        service.start();
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "secret",
                "AWS_SESSION_TOKEN", "session", "AWS_REGION", "eu-west-1");
        AwsCredentials credentials = new AwsCredentials(env::get, name -> null, new ObjectMapper(), Clock.systemUTC());
        client = new AwsJsonClient("dynamodb", "DynamoDB_20120810", "1.0", Optional.of(URI.create(service.baseUrl())), credentials,
                new ObjectMapper());
    }

    @AfterEach
    void stop() {
        service.stop();
    }

    @Test
    void postsOneSignedJsonDocumentNamingTheOperation() {
        service.stubFor(post(urlEqualTo("/")).willReturn(aResponse().withStatus(200).withBody("{\"Item\":{\"id\":{\"S\":\"a\"}}}")));

        assertThat(client.call("GetItem", Map.of("TableName", "t")).path("Item").path("id").path("S").asText()).isEqualTo("a");

        service.verify(1, postRequestedFor(urlEqualTo("/"))
                .withHeader("X-Amz-Target", equalTo("DynamoDB_20120810.GetItem"))
                .withHeader("Content-Type", equalTo("application/x-amz-json-1.0"))
                .withHeader("X-Amz-Security-Token", equalTo("session"))
                .withHeader("Authorization", matching("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/eu-west-1/dynamodb/aws4_request, "
                        + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target, "
                        + "Signature=[0-9a-f]{64}"))
                .withRequestBody(equalToJson("{\"TableName\":\"t\"}")));
    }

    @Test
    void givesTheErrorTypeWithoutItsNamespaceAndTheErrorBody() {
        service.stubFor(post(urlEqualTo("/")).willReturn(aResponse().withStatus(400).withBody(
                "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"failed\","
                        + "\"Item\":{\"state\":{\"S\":\"DELIVERED\"}}}")));

        assertThatThrownBy(() -> client.call("PutItem", Map.of())).isInstanceOfSatisfying(AwsCallFailed.class, e -> {
            assertThat(e.errorType()).isEqualTo("ConditionalCheckFailedException");
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.body().path("Item").path("state").path("S").asText()).isEqualTo("DELIVERED");
        });
        service.verify(1, postRequestedFor(urlEqualTo("/"))); // a refusal is an answer: never retried
    }

    @Test
    void triesAgainAfterAServerErrorAndThrottling() {
        service.stubFor(post(urlEqualTo("/")).inScenario("flaky").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(500).withBody("{\"__type\":\"InternalServerError\"}")).willSetStateTo("throttled"));
        service.stubFor(post(urlEqualTo("/")).inScenario("flaky").whenScenarioStateIs("throttled")
                .willReturn(aResponse().withStatus(400).withBody("{\"__type\":\"com.amazonaws.dynamodb.v20120810#ThrottlingException\"}"))
                .willSetStateTo("fine"));
        service.stubFor(post(urlEqualTo("/")).inScenario("flaky").whenScenarioStateIs("fine")
                .willReturn(aResponse().withStatus(200).withBody("{}")));

        assertThat(client.call("PutItem", Map.of()).isObject()).isTrue();
        service.verify(3, postRequestedFor(urlEqualTo("/")));
    }

    @Test
    void givesUpAfterThreeAttemptsWithoutAnAnswer() {
        service.stubFor(post(urlEqualTo("/")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        assertThatThrownBy(() -> client.call("PutItem", Map.of())).isInstanceOfSatisfying(AwsCallFailed.class, e -> {
            assertThat(e.errorType()).isNull();
            assertThat(e.status()).isEqualTo(-1);
            assertThat(e.getMessage()).contains("dynamodb PutItem got no answer");
        });
        service.verify(3, postRequestedFor(urlEqualTo("/")));
    }
}
