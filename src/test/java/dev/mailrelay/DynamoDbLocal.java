package dev.mailrelay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * DynamoDB Local (the real engine AWS ships for tests) in its own JVM on a loopback port, with
 * the idempotency table created as template.yaml creates it. Its classpath comes from the build
 * (target/dynamodb-local.classpath), so none of its jars reach the relay's classpath.
 */
public class DynamoDbLocal implements QuarkusTestResourceLifecycleManager {

    static final String TABLE = "auth0-mail-relay-idempotency";

    private Process process;
    private URI endpoint;

    @Override
    public Map<String, String> start() {
        try {
            List<String> entries = Arrays.asList(Files.readString(Path.of("target", "dynamodb-local.classpath")).strip().split(":"));
            Path nativeLib = entries.stream().filter(e -> e.contains("libsqlite4java-linux-amd64")).map(Path::of).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no sqlite4java native library in the DynamoDB Local classpath"));
            String classpath = entries.stream().filter(e -> e.endsWith(".jar")).collect(Collectors.joining(":"));
            int port = freePort();
            String java = ProcessHandle.current().info().command().orElse("java");
            process = new ProcessBuilder(java, "-Xmx256m", "-Dsqlite4java.library.path=" + nativeLib.getParent(),
                    "-cp", classpath, "com.amazonaws.services.dynamodbv2.local.main.ServerRunner",
                    "-inMemory", "-port", String.valueOf(port))
                    .directory(Path.of("target").toFile()) // it writes dynamodb-local-metadata.json where it runs
                    .redirectErrorStream(true)
                    .redirectOutput(Path.of("target", "dynamodb-local-" + port + ".log").toFile())
                    .start();
            endpoint = URI.create("http://127.0.0.1:" + port);
            awaitPort(port, Duration.ofSeconds(30));
            System.setProperty("aws.accessKeyId", "test");
            System.setProperty("aws.secretAccessKey", "test");
            System.setProperty("aws.region", "eu-west-1");
            try (DynamoDbClient client = client()) {
                client.createTable(t -> t.tableName(TABLE)
                        .attributeDefinitions(AttributeDefinition.builder().attributeName("id").attributeType(ScalarAttributeType.S).build())
                        .keySchema(KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
                        .billingMode(BillingMode.PAY_PER_REQUEST));
            }
            return Map.of("relay.idempotency.table", TABLE, "relay.idempotency.endpoint", endpoint.toString());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start DynamoDB Local", e);
        }
    }

    URI endpoint() {
        return endpoint;
    }

    DynamoDbClient client() {
        return DynamoDbClient.builder().endpointOverride(endpoint).region(Region.EU_WEST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @Override
    public void stop() {
        if (process != null) {
            process.destroy();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void awaitPort(int port, Duration limit) {
        Instant end = Instant.now().plus(limit);
        while (Instant.now().isBefore(end)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("DynamoDB Local exited with " + process.exitValue() + "; see target/dynamodb-local-*.log");
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        throw new IllegalStateException("DynamoDB Local did not listen within " + limit);
    }
}
