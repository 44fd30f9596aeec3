package dev.mailrelay;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * WireMock on loopback as an OAuth 2.0 token endpoint shaped like Microsoft Entra ID's
 * ({@code provider=microsoft}: client credentials, AADSTS errors) or Google's
 * ({@code provider=google}: a JWT bearer assertion from a service account key made for this run).
 */
public class TokenEndpointStandIn implements QuarkusTestResourceLifecycleManager {

    static final String CLIENT_ID = "6f1c9a2e-0000-4000-8000-00000000c11e";
    static final String CLIENT_SECRET = "test-only-client-secret~abc";
    static final String SERVICE_ACCOUNT = "relay@acme-project.iam.gserviceaccount.com";

    private WireMockServer wireMock;
    private String provider;
    private String path;
    private KeyPair keys;

    @Override
    public void init(Map<String, String> args) {
        provider = args.getOrDefault("provider", "microsoft");
    }

    @Override
    public Map<String, String> start() {
        wireMock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wireMock.start();
        if (provider.equals("google")) {
            path = "/token";
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                keys = generator.generateKeyPair();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(
                    keys.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
            Map<String, String> key = new LinkedHashMap<>();
            key.put("type", "service_account");
            key.put("project_id", "acme-project");
            key.put("private_key_id", "0123456789abcdef");
            key.put("private_key", pem);
            key.put("client_email", SERVICE_ACCOUNT);
            key.put("token_uri", wireMock.baseUrl() + path);
            return Map.of("smtp.auth", "google", "smtp.oauth.service-account", Relay.json(new LinkedHashMap<>(key)));
        }
        path = "/contoso.onmicrosoft.com/oauth2/v2.0/token";
        return Map.of("smtp.auth", "microsoft", "smtp.oauth.tenant-id", "contoso.onmicrosoft.com",
                "smtp.oauth.client-id", CLIENT_ID, "smtp.oauth.client-secret", CLIENT_SECRET,
                "smtp.oauth.token-url", wireMock.baseUrl() + path);
    }

    /** From now on each token request answers the next of {@code tokens} (the last one repeats), valid for an hour. */
    void issues(String... tokens) {
        wireMock.resetMappings();
        for (int i = 0; i < tokens.length; i++) {
            String state = i == 0 ? Scenario.STARTED : "issued-" + i;
            wireMock.stubFor(post(urlEqualTo(path)).inScenario("tokens").whenScenarioStateIs(state)
                    .willSetStateTo(i + 1 < tokens.length ? "issued-" + (i + 1) : state)
                    .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                            .withBody("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,\"access_token\":\""
                                    + tokens[i] + "\"}")));
        }
        wireMock.resetScenarios();
    }

    /** Answers every token request with this OAuth error, as Entra ID or Google write them. */
    void refuses(int status, String error, String description) {
        wireMock.resetMappings();
        wireMock.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody(Relay.json(Map.of("error", error, "error_description", description, "error_codes", List.of(7000215))))));
    }

    /** Issues {@code token} only for this client secret; any other gets Entra's invalid_client. */
    void acceptsOnlySecret(String secret, String token) {
        wireMock.resetMappings();
        wireMock.stubFor(post(urlEqualTo(path)).atPriority(5).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided.\"}")));
        wireMock.stubFor(post(urlEqualTo(path)).atPriority(1)
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("client_secret=" + secret))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"" + token + "\"}")));
    }

    /** Answers with a bare status (an outage, throttling). */
    void fails(int status) {
        wireMock.resetMappings();
        wireMock.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(status).withBody("upstream trouble")));
    }

    /** Answers only after {@code delay}. */
    void staysSilentFor(Duration delay) {
        wireMock.resetMappings();
        wireMock.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(200).withFixedDelay((int) delay.toMillis())
                .withBody("{\"access_token\":\"too-late\",\"expires_in\":3599}")));
    }

    int calls() {
        return wireMock.countRequestsMatching(postRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    /** The form fields of each token request so far. */
    List<Map<String, String>> forms() {
        return wireMock.findAll(postRequestedFor(urlEqualTo(path))).stream().map(r -> {
            Map<String, String> form = new LinkedHashMap<>();
            for (String pair : r.getBodyAsString().split("&")) {
                String[] kv = pair.split("=", 2);
                form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv.length > 1 ? kv[1] : "", StandardCharsets.UTF_8));
            }
            return form;
        }).toList();
    }

    String tokenUrl() {
        return wireMock.baseUrl() + path;
    }

    /** The service account's public key, to verify its assertions (google only). */
    PublicKey publicKey() {
        return keys.getPublic();
    }

    void forget() {
        wireMock.resetRequests();
        wireMock.resetScenarios();
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(this, new TestInjector.MatchesType(TokenEndpointStandIn.class));
    }

    @Override
    public void stop() {
        if (wireMock != null) {
            wireMock.stop();
        }
    }
}
