package dev.mailrelay;

import dev.mailrelay.smtp.SmtpConfig;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** template.yaml held against the code: what SAM deploys must be what the relay is and reads. */
class TemplateTest {

    private static JsonNode template;
    private static JsonNode function;
    private static String readme;

    @BeforeAll
    static void read() throws Exception {
        // CloudFormation's short tags (!Ref, !Sub …) are read as their plain values: enough here.
        template = new YAMLMapper().readTree(Path.of("template.yaml").toFile());
        function = template.at("/Resources/RelayFunction/Properties");
        readme = Files.readString(Path.of("README.md"));
    }

    @Test
    void pointsAtTheQuarkusHandlerThatExists() throws Exception {
        String[] handler = function.get("Handler").asText().split("::");
        Class<?> type = Class.forName(handler[0]);
        assertThat(type.getMethods()).extracting(Method::getName).contains(handler[1]);
        assertThat(handler[0]).isEqualTo(PackagedFunction.HANDLER.split("::")[0]);
    }

    @Test
    void deploysTheBuildOutputOnJava21Arm64WithSnapStart() {
        assertThat(function.get("CodeUri").asText()).isEqualTo("target/function.zip");
        JsonNode globals = template.at("/Globals/Function");
        assertThat(globals.get("Runtime").asText()).isEqualTo("java21");
        assertThat(globals.at("/Architectures/0").asText()).isEqualTo("arm64");
        assertThat(function.at("/SnapStart/ApplyOn").asText()).isEqualTo("PublishedVersions");
        assertThat(function.get("AutoPublishAlias").asText()).isNotBlank();
    }

    /**
     * Every parameter the function's environment carries is part of the version's description, so
     * that changing it alone publishes a version and moves the live alias (issue 13).
     */
    @Test
    void publishesANewVersionWhenAParameterInTheEnvironmentChanges() {
        Set<String> parameters = new HashSet<>();
        template.get("Parameters").fieldNames().forEachRemaining(parameters::add);
        List<String> inEnvironment = new ArrayList<>();
        function.at("/Environment/Variables").elements().forEachRemaining(v -> {
            if (v.isTextual() && parameters.contains(v.asText())) { // !Ref Parameter reads as the parameter's name
                inEnvironment.add(v.asText());
            }
        });
        assertThat(inEnvironment).contains("SmtpHost", "SmtpPort", "AllowedFrom", "SmtpAuth");
        String description = function.get("VersionDescription").asText();
        for (String parameter : inEnvironment) {
            assertThat(description).as("VersionDescription names %s", parameter).contains("${" + parameter + "}");
        }
    }

    /** A SnapStart version idle for 14 days turns inactive: a schedule calls the live alias well within that (issue 14). */
    @Test
    void invokesTheLiveAliasWellWithinFourteenDays() {
        JsonNode schedule = template.at("/Resources/KeepActiveSchedule/Properties");
        assertThat(schedule.get("ScheduleExpression").asText()).isEqualTo("rate(7 days)");
        assertThat(schedule.at("/Target/Arn").asText()).isEqualTo("RelayFunction.Alias");
        assertThat(template.at("/Resources/KeepActiveRole/Properties/Policies/0/PolicyDocument/Statement/0/Resource").asText())
                .isEqualTo("RelayFunction.Alias");
    }

    /** A new account (unreserved quota 10) refuses any reservation: none by default, one on request. */
    @Test
    void reservesNoConcurrencyUnlessAsked() {
        assertThat(template.at("/Parameters/ReservedConcurrency/Default").asInt()).isZero();
        JsonNode reservation = function.get("ReservedConcurrentExecutions"); // !If [HasReservation, !Ref …, !Ref AWS::NoValue]
        assertThat(reservation.get(0).asText()).isEqualTo("HasReservation");
        assertThat(reservation.get(1).asText()).isEqualTo("ReservedConcurrency");
        assertThat(reservation.get(2).asText()).isEqualTo("AWS::NoValue");
        assertThat(template.at("/Conditions/HasReservation").toString()).contains("ReservedConcurrency").contains("0");
    }

    @Test
    void servesTheRoutesTheResourcesDeclare() {
        String notifications = NotificationResource.class.getAnnotation(jakarta.ws.rs.Path.class).value();
        String diagnostics = DiagnosticsResource.class.getAnnotation(jakarta.ws.rs.Path.class).value();
        assertThat(template.at("/Outputs/RelayUrl/Value").asText()).isEqualTo("${RelayFunctionUrl.FunctionUrl}" + notifications.substring(1));
        assertThat(template.at("/Outputs/DiagnosticsUrl/Value").asText()).isEqualTo("${RelayFunctionUrl.FunctionUrl}" + diagnostics.substring(1));
    }

    @Test
    void timesOutAfterTheRelayAnswersAndBeforeTheActionGivesUp() throws Exception {
        Duration timeout = Duration.ofSeconds(template.at("/Globals/Function/Timeout").asInt());
        Duration budget = Duration.parse("PT" + defaultOf(RelayConfig.class, "timeBudget").toUpperCase());
        Matcher action = Pattern.compile("RELAY_TIMEOUT_MS = ([0-9_]+);")
                .matcher(Files.readString(Path.of("actions", "custom-email-provider.js")));
        assertThat(action.find()).isTrue();
        Duration actionTimeout = Duration.ofMillis(Long.parseLong(action.group(1).replace("_", "")));

        assertThat(budget).isLessThanOrEqualTo(Duration.ofSeconds(12)); // SPEC §4
        assertThat(timeout).isGreaterThan(budget.plusSeconds(1)).isLessThan(actionTimeout);
    }

    @Test
    void setsOnlyVariablesTheRelayReadsAndEveryOneIsDocumented() {
        Set<String> readByRelay = new HashSet<>(environmentNames(RelayConfig.class, "RELAY"));
        readByRelay.addAll(environmentNames(SmtpConfig.class, "SMTP"));
        List<String> setByTemplate = new ArrayList<>();
        function.at("/Environment/Variables").fieldNames().forEachRemaining(setByTemplate::add);

        assertThat(readByRelay).contains("RELAY_SECRET_ARN", "SMTP_PASSWORD_SECRET_ARN", "RELAY_IDEMPOTENCY_TABLE",
                "SMTP_FALLBACK_HOST", "RELAY_RETRY_MAX_ATTEMPTS");
        setByTemplate.remove("JAVA_TOOL_OPTIONS"); // read by the JVM itself
        assertThat(setByTemplate).isSubsetOf(readByRelay);
        for (String variable : readByRelay) {
            assertThat(readme.contains("`" + variable + "`")).withFailMessage("README does not document %s", variable).isTrue();
        }
    }

    /**
     * Its own role: its own log group only (not SAM's basic execution role, which reaches every log
     * group), the signing secret always, of the sign-in secrets only the one SmtpAuth uses (created
     * and readable under one condition), and its one table.
     */
    @Test
    void grantsItsLogGroupTheSigningSecretTheOneSignInSecretAndItsTableAndNothingBroader() {
        assertThat(function.get("Role").asText()).isEqualTo("RelayRole.Arn");
        assertThat(function.has("Policies")).as("SAM would add its own role with them").isFalse();
        JsonNode statements = template.at("/Resources/RelayRole/Properties/Policies/0/PolicyDocument/Statement");
        java.util.Map<String, String> resourceByAction = new java.util.HashMap<>();
        java.util.Map<String, String> secretByCondition = new java.util.HashMap<>();
        for (JsonNode statement : statements) {
            assertThat(statement.get("Effect").asText()).isEqualTo("Allow");
            String actions = statement.get("Action").toString();
            JsonNode resource = statement.get("Resource");
            if (actions.contains("secretsmanager")) {
                for (JsonNode r : resource) {
                    // !If [Condition, !Ref Secret, !Ref AWS::NoValue] reads as a three-element list
                    secretByCondition.put(r.isArray() ? r.get(0).asText() : "always", r.isArray() ? r.get(1).asText() : r.asText());
                }
            } else {
                resourceByAction.put(actions, resource.asText());
            }
        }
        assertThat(resourceByAction).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
                "[\"logs:CreateLogStream\",\"logs:PutLogEvents\"]", "RelayLogGroup.Arn",
                "[\"dynamodb:PutItem\",\"dynamodb:GetItem\",\"dynamodb:DeleteItem\"]", "IdempotencyTable.Arn"));
        assertThat(secretByCondition).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("always", "RelaySigningSecret",
                "UsesPassword", "SmtpPasswordSecret", "UsesClientSecret", "OAuthClientSecretSecret",
                "UsesServiceAccount", "OAuthServiceAccountSecret"));
        secretByCondition.forEach((condition, secret) -> {
            if (!condition.equals("always")) {
                assertThat(template.at("/Resources/" + secret + "/Condition").asText()).as(secret).isEqualTo(condition);
            }
        });
        assertThat(statements.toString()).doesNotContain("\"*\"");
        assertThat(template.at("/Resources/RelayLogGroup/Properties/RetentionInDays").asText()).isEqualTo("LogRetentionDays");
    }

    /** The environment names (RELAY_..., SMTP_...) of every key of a @ConfigMapping interface, nested groups included. */
    static List<String> environmentNames(Class<?> mapping, String prefix) {
        List<String> names = new ArrayList<>();
        for (Method m : mapping.getDeclaredMethods()) {
            if (m.isDefault() || m.isSynthetic() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String name = prefix + "_" + m.getName().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase();
            Class<?> type = m.getReturnType();
            if (type.isInterface() && (type.getEnclosingClass() == RelayConfig.class || type.getEnclosingClass() == SmtpConfig.class) && !type.isAnnotationPresent(ConfigMapping.class)
                    && !type.getName().startsWith("java.")) {
                names.addAll(environmentNames(type, name));
            } else {
                names.add(name);
            }
        }
        return names;
    }

    private static String defaultOf(Class<?> mapping, String method) throws Exception {
        return mapping.getMethod(method).getAnnotation(WithDefault.class).value();
    }
}
