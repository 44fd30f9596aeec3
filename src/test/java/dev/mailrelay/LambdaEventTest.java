package dev.mailrelay;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Raw API Gateway v2 (and Function URL) events, as AWS hands them to the function. */
@QuarkusTest
@QuarkusTestResource(SmtpServerResource.class)
class LambdaEventTest {

    TestSmtpServer smtp;

    @BeforeEach
    void reset() {
        smtp.reset();
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void deliversARawApiGatewayV2Event(boolean base64Body) {
        byte[] body = Relay.json(Relay.notification()).getBytes(StandardCharsets.UTF_8);
        given().contentType("application/json").body(Relay.apiGatewayEvent(body, Relay.uniqueId(), base64Body))
                .when().post("/_lambda_")
                .then().statusCode(200)
                .body("statusCode", equalTo(200))
                .body("body", containsString("\"status\":\"sent\""));
        assertThat(smtp.received()).hasSize(1);
    }

    /**
     * The template's weekly schedule keeps the SnapStart version active: its exact input, through
     * the Lambda path, is answered 204 without a mail, an SMTP connection or an answer line (issue 14).
     */
    @org.junit.jupiter.api.Test
    void answersTheKeepActiveScheduleWithoutSendingOrCounting() throws Exception {
        String input = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(java.nio.file.Path.of("template.yaml").toFile())
                .at("/Resources/KeepActiveSchedule/Properties/Target/Input").asText();
        try (LogCapture log = LogCapture.start()) {
            given().contentType("application/json").body(input).when().post("/_lambda_")
                    .then().statusCode(200).body("statusCode", equalTo(204));
            assertThat(log.lines()).noneMatch(line -> line.startsWith("dev.mailrelay.delivery"));
        }
        assertThat(smtp.connections()).isZero();
        assertThat(smtp.received()).isEmpty();
    }

    @jakarta.inject.Inject
    CheckpointPriming priming;

    /** Issue 14: the invocation before a SnapStart snapshot runs the real handler, answers 401, and counts nowhere. */
    @org.junit.jupiter.api.Test
    void primesTheHandlerBeforeASnapshotWithoutCountingOrSending() {
        try (LogCapture log = LogCapture.start()) {
            assertThat(priming.invoke()).isEqualTo(401);
            priming.beforeCheckpoint(null); // the hook itself: never throws
            assertThat(log.lines()).noneMatch(line -> line.startsWith("dev.mailrelay.delivery"));
            assertThat(log.lines()).anyMatch(line -> line.contains("primed the handler before the snapshot"));
            // The SMTP (STARTTLS, AUTH, DATA) and AWS rehearsals ran against the relay's own loopback stand-ins.
            assertThat(log.lines()).anyMatch(line -> line.contains("SMTP rehearsal ok, AWS rehearsal ok"));
        }
        assertThat(smtp.connections()).isZero();
    }

    /** The list comes from a class-load diff (docs/performance.md); a library update that renames its classes shows here. */
    @org.junit.jupiter.api.Test
    void loadsTheClassesOfItsListBeforeASnapshot() throws Exception {
        long listed;
        try (var in = getClass().getClassLoader().getResourceAsStream(CheckpointPriming.CLASS_LIST)) {
            assertThat(in).as("the class list is packaged").isNotNull();
            listed = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.isBlank() && !line.startsWith("#")).count();
        }
        assertThat(listed).isGreaterThan(50);
        assertThat(CheckpointPriming.loadClasses()).isGreaterThanOrEqualTo((int) (listed * 0.95));
    }
}
