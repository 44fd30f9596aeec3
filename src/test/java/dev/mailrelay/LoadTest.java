package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.logging.Log;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.mailrelay.TestSmtpServer.Stage;

/**
 * 500 notifications from 8 concurrent senders while about 10 % of SMTP connections fail
 * transiently; each sender retries as Auth0 does (5 times at most). Every notification must end
 * delivered exactly once, or with a retryable status and no message at all.
 */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class LoadTest {

    private static final int NOTIFICATIONS = 500;
    private static final int SENDERS = 8;
    private static final int AUTH0_RETRIES = 5;

    TestSmtpServer smtp;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    /** Sends like Auth0: on 409, 429, 5xx or a network error it tries again, up to 5 more times. */
    private int deliverLikeAuth0(byte[] body, String id, Map<String, List<Integer>> answers) throws InterruptedException {
        int status = -1;
        for (int attempt = 0; attempt <= AUTH0_RETRIES; attempt++) {
            try {
                status = http.send(IdempotencyContract.signed(body, id, Duration.ofSeconds(15)),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (java.io.IOException networkError) {
                status = 0;
            }
            answers.computeIfAbsent(id, k -> new ArrayList<>()).add(status);
            boolean retry = status == 0 || status == 409 || status == 429 || status >= 500;
            if (!retry) {
                return status;
            }
            Thread.sleep(20);
        }
        return status;
    }

    @Test
    void deliversEveryNotificationExactlyOnceUnderTransientFaults() throws Exception {
        // Refused after the final ".": not retried in-process, so Auth0's retries and the released id are exercised.
        smtp.failRandomly(0.10, 42, Stage.DATA, 452, "4.3.1 Insufficient system storage");
        Map<String, List<Integer>> answers = new ConcurrentHashMap<>();
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        List<Future<Integer>> outcomes = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < NOTIFICATIONS; i++) {
            Map<String, Object> n = Relay.notification();
            n.put("to", "user" + i + "@example.org");
            byte[] body = Relay.json(n).getBytes(StandardCharsets.UTF_8);
            String id = Relay.idFor(body);
            ids.add(id);
            outcomes.add(senders.submit(() -> deliverLikeAuth0(body, id, answers)));
        }
        Map<String, Integer> finalStatus = new java.util.HashMap<>();
        for (int i = 0; i < NOTIFICATIONS; i++) {
            finalStatus.put(ids.get(i), outcomes.get(i).get());
        }
        senders.shutdown();

        Map<String, Long> messagesPerId = smtp.received().stream().map(LoadTest::webhookIdOf)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        long delivered = finalStatus.values().stream().filter(s -> s == 200).count();
        long refused = smtp.dataCommands() - smtp.received().size();
        Log.infof("load: %d notifications, %d delivered, %d SMTP connections, %d messages refused transiently, %d HTTP answers",
                NOTIFICATIONS, delivered, smtp.connections(), refused,
                answers.values().stream().mapToInt(List::size).sum());

        assertThat(finalStatus).hasSize(NOTIFICATIONS);
        for (String id : ids) {
            int status = finalStatus.get(id);
            long messages = messagesPerId.getOrDefault(id, 0L);
            if (status == 200) {
                assertThat(messages).as("messages for delivered %s", id).isEqualTo(1);
            } else {
                assertThat(status).as("final status of %s", id).isIn(409, 429, 500, 502, 503, 504);
                assertThat(messages).as("messages for undelivered %s", id).isZero();
            }
        }
        assertThat(messagesPerId.values()).allMatch(count -> count == 1);
        assertThat(messagesPerId.keySet()).isSubsetOf(ids);
        assertThat(refused).as("the faults really happened").isGreaterThan(10);
        assertThat(answers.values().stream().mapToInt(List::size).sum()).as("Auth0 retried").isGreaterThan(NOTIFICATIONS);
    }

    /** The Message-ID is derived from the webhook-id, so each message names its notification. */
    private static String webhookIdOf(TestSmtpServer.Received mail) {
        try {
            String messageId = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(mail.data())).getMessageID();
            return messageId.substring(1, messageId.indexOf('@'));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
