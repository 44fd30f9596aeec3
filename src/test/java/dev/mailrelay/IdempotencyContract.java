package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.restassured.RestAssured;

import dev.mailrelay.TestSmtpServer.Stage;

/**
 * SPEC §4's at-most-once rule, whichever store keeps the records: the same signed request sent
 * twice, twice at once, and again after a lost answer, always makes exactly one message.
 */
abstract class IdempotencyContract {

    TestSmtpServer smtp;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    /** A signed request as Auth0's retries send it: same body, same id, a fresh timestamp each time. */
    static HttpRequest signed(byte[] body, String id, Duration timeout) {
        long now = Instant.now().getEpochSecond();
        return HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + Relay.PATH))
                .header("content-type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", String.valueOf(now))
                .header("webhook-signature", Relay.sign(SmtpServerResource.SECRET, id, now, body))
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }

    static HttpResponse<String> send(byte[] body, String id) throws Exception {
        return HTTP.send(signed(body, id, Duration.ofSeconds(15)), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] body() {
        return Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void answersDuplicateWithoutSendingWhenTheSameRequestComesTwice() throws Exception {
        byte[] body = body();
        String id = Relay.uniqueId();
        HttpResponse<String> first = send(body, id);
        HttpResponse<String> second = send(body, id);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).contains("\"status\":\"sent\"");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).contains("\"status\":\"duplicate\"");
        assertThat(Relay.JSON.readTree(second.body()).get("message_id")).isEqualTo(Relay.JSON.readTree(first.body()).get("message_id"));
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void answersDuplicateWhenTheRetryCarriesAnotherIdOrSecret() throws Exception {
        // Auth0's retry after the Action's secret was rotated: same notification, new id and signature.
        byte[] body = body();
        assertThat(send(body, Relay.uniqueId()).body()).contains("\"status\":\"sent\"");
        long now = Instant.now().getEpochSecond();
        String id = Relay.uniqueId();
        HttpRequest retry = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + Relay.PATH))
                .header("webhook-id", id).header("webhook-timestamp", String.valueOf(now))
                .header("webhook-signature", Relay.sign(SmtpServerResource.OLD_SECRET, id, now, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        assertThat(HTTP.send(retry, HttpResponse.BodyHandlers.ofString()).body()).contains("\"status\":\"duplicate\"");
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void sendsEveryDashboardTestEmail() throws Exception {
        Map<String, Object> n = Relay.notification();
        n.put("message_type", "try_provider_configuration_email");
        byte[] body = Relay.json(n).getBytes(StandardCharsets.UTF_8);
        String id = Relay.uniqueId();
        assertThat(send(body, id).body()).contains("\"status\":\"sent\"");
        assertThat(send(body, id).body()).contains("\"status\":\"sent\"");
        assertThat(smtp.received()).hasSize(2);
    }

    @Test
    void sendsOnceWhenTheSameRequestComesTwiceAtOnce() throws Exception {
        smtp.delayAfterData(Duration.ofMillis(800)); // keeps the first one in flight while the second arrives
        byte[] body = body();
        String id = Relay.uniqueId();
        CompletableFuture<HttpResponse<String>> a = HTTP.sendAsync(signed(body, id, Duration.ofSeconds(15)),
                HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> b = HTTP.sendAsync(signed(body, id, Duration.ofSeconds(15)),
                HttpResponse.BodyHandlers.ofString());
        List<HttpResponse<String>> answers = List.of(a.get(), b.get());

        // One Lambda instance serves one event at a time, so the second may also see "duplicate";
        // across instances it sees 409 (the store tests claim concurrently).
        assertThat(answers).filteredOn(r -> r.body().contains("\"sent\"")).hasSize(1);
        assertThat(answers).allMatch(r -> r.statusCode() == 200 || r.statusCode() == 409);
        assertThat(smtp.received()).hasSize(1);
        assertThat(smtp.dataCommands()).isEqualTo(1);
    }

    @Test
    void sendsOnceWhenTheAnswerIsLostAndAuth0Retries() throws Exception {
        // The server accepts only after 1.5 s; the caller gives up after 0.3 s and retries, up to 5 times.
        smtp.delayAfterData(Duration.ofMillis(1500));
        byte[] body = body();
        String id = Relay.uniqueId();
        List<String> seen = new ArrayList<>();
        for (int attempt = 0; attempt < 6; attempt++) {
            try {
                HttpResponse<String> r = HTTP.send(signed(body, id, Duration.ofMillis(300)), HttpResponse.BodyHandlers.ofString());
                seen.add(r.statusCode() + (r.body().contains("duplicate") ? " duplicate" : ""));
                if (r.statusCode() == 200) {
                    break;
                }
            } catch (HttpTimeoutException lost) {
                seen.add("lost");
            }
            Thread.sleep(400);
        }
        assertThat(seen).first().isEqualTo("lost");
        assertThat(seen).last().isEqualTo("200 duplicate");
        assertThat(seen).doesNotContain("200");
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void sendsAgainAfterAFailureReleasedTheId() throws Exception {
        smtp.failAt(Stage.RCPT, 550, "5.1.1 User unknown");
        byte[] body = body();
        String id = Relay.uniqueId();
        assertThat(send(body, id).statusCode()).isEqualTo(422);
        smtp.reset();
        assertThat(send(body, id).statusCode()).isEqualTo(200);
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void releasesTheIdAfterAnUncertainOutcomeSoTheRetrySends() throws Exception {
        smtp.breakAt(Stage.DATA, TestSmtpServer.Kind.CLOSE);
        byte[] body = body();
        String id = Relay.uniqueId();
        assertThat(send(body, id).statusCode()).isEqualTo(504);
        smtp.reset();
        HttpResponse<String> retry = send(body, id);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.body()).contains("\"status\":\"sent\"");
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void neverSendsAReplayOfADeliveredRequest() throws Exception {
        byte[] body = body();
        String id = Relay.uniqueId();
        long now = Instant.now().getEpochSecond();
        String signature = Relay.sign(SmtpServerResource.SECRET, id, now, body);
        HttpRequest original = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + Relay.PATH))
                .header("webhook-id", id).header("webhook-timestamp", String.valueOf(now))
                .header("webhook-signature", signature).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        assertThat(HTTP.send(original, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> replay = HTTP.send(original, HttpResponse.BodyHandlers.ofString());
            assertThat(replay.body()).contains("duplicate");
        }
        assertThat(smtp.received()).hasSize(1);
    }
}
