package dev.mailrelay.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/** The relay's SigV4 against the AWS SDK's own signer, for the requests the relay sends. */
class SigV4Test {

    private static final Instant NOW = Instant.parse("2026-11-22T02:30:45Z");

    @ParameterizedTest
    @CsvSource({
            "https://dynamodb.eu-west-1.amazonaws.com, dynamodb, DynamoDB_20120810.PutItem, 1.0, ",
            "https://dynamodb.eu-west-1.amazonaws.com, dynamodb, DynamoDB_20120810.DeleteItem, 1.0, IQoJb3JpZ2luX2VjEXAMPLE==",
            "https://secretsmanager.us-east-1.amazonaws.com, secretsmanager, secretsmanager.GetSecretValue, 1.1, token/with+signs=",
            "http://127.0.0.1:8000, dynamodb, DynamoDB_20120810.GetItem, 1.0, ",
    })
    void signsExactlyAsTheAwsSdkDoes(String endpoint, String service, String target, String jsonVersion, String sessionToken) {
        URI uri = URI.create(endpoint + "/");
        String region = uri.getHost().contains(".") && !uri.getHost().startsWith("127") ? uri.getHost().split("\\.")[1] : "eu-west-1";
        byte[] body = "{\"TableName\":\"t\",\"Item\":{\"id\":{\"S\":\"msg_ü 1\"}}}".getBytes(StandardCharsets.UTF_8);
        String contentType = "application/x-amz-json-" + jsonVersion;
        String host = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();

        Map<String, String> ours = SigV4.sign(Map.of("content-type", contentType, "host", host, "x-amz-target", target), body,
                new AwsCredentials.Keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken, null), region, service, NOW);

        AwsCredentialsIdentity identity = sessionToken == null
                ? AwsCredentialsIdentity.create("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
                : AwsSessionCredentialsIdentity.create("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken);
        SdkHttpRequest request = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(uri)
                .putHeader("Content-Type", contentType).putHeader("X-Amz-Target", target).build();
        SdkHttpRequest sdk = AwsV4HttpSigner.create().sign(r -> r.identity(identity).request(request)
                .payload(ContentStreamProvider.fromByteArray(body))
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(NOW, ZoneOffset.UTC))).request();

        assertThat(ours.get("Authorization")).isEqualTo(sdk.firstMatchingHeader("Authorization").orElseThrow());
        assertThat(ours.get("X-Amz-Date")).isEqualTo(sdk.firstMatchingHeader("X-Amz-Date").orElseThrow());
        assertThat(ours.get("X-Amz-Security-Token")).isEqualTo(sdk.firstMatchingHeader("X-Amz-Security-Token").orElse(null));
    }
}
