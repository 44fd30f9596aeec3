package dev.mailrelay;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** WireMock on loopback answering the Secrets Manager GetSecretValue calls the relay makes. */
public class SecretsManagerStandIn implements QuarkusTestResourceLifecycleManager {

    static final String RELAY_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:relay-signing-AbCdEf";
    static final String SMTP_PASSWORD_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:smtp-password-GhIjKl";

    private WireMockServer wireMock;

    @Override
    public Map<String, String> start() {
        wireMock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wireMock.start();
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        System.setProperty("aws.region", "eu-west-1");
        return Map.of("relay.secret-arn", RELAY_SECRET_ARN,
                "smtp.password-secret-arn", SMTP_PASSWORD_ARN,
                "relay.secrets-endpoint", wireMock.baseUrl(),
                "relay.secrets-refresh-interval", "0s");
    }

    /** From now on GetSecretValue for {@code arn} answers {@code value}. */
    void holds(String arn, String value) {
        wireMock.stubFor(post(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("secretsmanager.GetSecretValue"))
                .withRequestBody(equalToJson("{\"SecretId\":\"" + arn + "\"}", true, true))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/x-amz-json-1.1")
                        .withBody(Relay.json(Map.of("ARN", arn, "Name", "secret", "VersionId", "v1", "SecretString", value)))));
    }

    /** GetSecretValue for {@code arn} fails as when Secrets Manager is unreachable or denies access. */
    void fails(String arn) {
        wireMock.stubFor(post(urlEqualTo("/")).withRequestBody(equalToJson("{\"SecretId\":\"" + arn + "\"}", true, true))
                .willReturn(aResponse().withStatus(500).withHeader("Content-Type", "application/x-amz-json-1.1")
                        .withBody("{\"__type\":\"InternalServiceError\",\"message\":\"down\"}")));
    }

    int reads(String arn) {
        return wireMock.countRequestsMatching(postRequestedFor(urlEqualTo("/"))
                .withRequestBody(equalToJson("{\"SecretId\":\"" + arn + "\"}", true, true)).build()).getCount();
    }

    void forgetRequests() {
        wireMock.resetRequests();
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(this, new TestInjector.MatchesType(SecretsManagerStandIn.class));
    }

    @Override
    public void stop() {
        if (wireMock != null) {
            wireMock.stop();
        }
    }
}
