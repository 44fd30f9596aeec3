package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * Each alarm of template.yaml, evaluated over synthetic datapoints as CloudWatch evaluates metric
 * math: a metric with no datapoint in a period is missing there, arithmetic on a missing value is
 * missing, FILL(m, v) puts v in its place, IF(c, a, b) chooses, and a missing result is not
 * breaching (TreatMissingData). An alarm fires when its value exceeds the threshold in
 * DatapointsToAlarm of EvaluationPeriods periods.
 */
class AlarmMathTest {

    /** The metric each input id of the alarms reads. */
    private static final Map<String, String> METRICS = Map.of("sent", "Sent", "duplicate", "Duplicate", "dropped", "Dropped",
            "signature", "SignatureFailures", "retryable", "Retryable");

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // scenario,                      Sent, Duplicate, Dropped, SignatureFailures, Retryable -> alarms that fire
            "all sent,                        40,   2,         -,       -,                 -,          ''",
            "total SMTP outage,               -,    -,         -,       -,                 30,         RetryableRateAlarm",
            "only drops,                      -,    -,         12,      -,                 -,          DropRateAlarm",
            "only signature failures,         -,    -,         -,       25,                -,          SignatureFailureAlarm",
            "nothing at all,                  -,    -,         -,       -,                 -,          ''",
            "a few retries among many sent,   100,  -,         -,       -,                 3,          ''",
            "a prober among real traffic,     100,  -,         -,       4,                 -,          ''" })
    void firesExactlyTheAlarmsTheScenarioCallsFor(String scenario, String sent, String duplicate, String dropped, String signature,
            String retryable, String expected) throws Exception {
        Map<String, Double> period = new HashMap<>();
        put(period, "Sent", sent);
        put(period, "Duplicate", duplicate);
        put(period, "Dropped", dropped);
        put(period, "SignatureFailures", signature);
        put(period, "Retryable", retryable);

        JsonNode resources = new YAMLMapper().readTree(Path.of("template.yaml").toFile()).get("Resources");
        Map<String, Boolean> fired = new LinkedHashMap<>();
        resources.fields().forEachRemaining(r -> {
            if (r.getValue().path("Type").asText().equals("AWS::CloudWatch::Alarm")) {
                fired.put(r.getKey(), fires(r.getValue().get("Properties"), period));
            }
        });
        assertThat(fired).containsOnlyKeys("RetryableRateAlarm", "DropRateAlarm", "SignatureFailureAlarm");
        fired.forEach((alarm, fires) -> assertThat(fires).as("%s in '%s'", alarm, scenario).isEqualTo(expected.equals(alarm)));
    }

    private static void put(Map<String, Double> period, String metric, String value) {
        if (!value.equals("-")) {
            period.put(metric, Double.valueOf(value));
        }
    }

    /** The same datapoints in every evaluation period (a steady state of 15 minutes). */
    private static boolean fires(JsonNode alarm, Map<String, Double> period) {
        Map<String, Double> values = new HashMap<>();
        Map<String, String> expressions = new HashMap<>();
        String returned = null;
        for (JsonNode m : alarm.get("Metrics")) {
            String id = m.get("Id").asText();
            if (m.has("Expression")) {
                expressions.put(id, m.get("Expression").asText());
            } else {
                String metric = m.at("/MetricStat/Metric/MetricName").asText();
                assertThat(METRICS.get(id)).as("input %s", id).isEqualTo(metric);
                values.put(id, period.get(metric));
            }
            if (!m.has("ReturnData") || m.get("ReturnData").asBoolean()) {
                returned = id;
            }
        }
        Double value = new Expression(expressions, values).value(returned);
        int breaching = value != null && value > alarm.get("Threshold").asDouble() ? alarm.get("EvaluationPeriods").asInt() : 0;
        assertThat(alarm.get("TreatMissingData").asText()).isEqualTo("notBreaching");
        return breaching >= alarm.get("DatapointsToAlarm").asInt();
    }

    /** A recursive-descent reader of the metric math the template uses: ids, numbers, + - * /, >, IF, FILL. */
    private static final class Expression {
        private final Map<String, String> expressions;
        private final Map<String, Double> values;
        private String text;
        private int at;

        Expression(Map<String, String> expressions, Map<String, Double> values) {
            this.expressions = expressions;
            this.values = values;
        }

        Double value(String id) {
            if (!expressions.containsKey(id)) {
                return values.get(id);
            }
            Expression inner = new Expression(expressions, values);
            inner.text = expressions.get(id).replace(" ", "");
            Double v = inner.comparison();
            assertThat(inner.at).as("all of %s read", inner.text).isEqualTo(inner.text.length());
            return v;
        }

        private Double comparison() {
            Double left = sum();
            if (take('>')) {
                Double right = sum();
                return left == null || right == null ? null : left > right ? 1.0 : 0.0;
            }
            return left;
        }

        private Double sum() {
            Double v = product();
            while (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) {
                char op = text.charAt(at++);
                Double r = product();
                v = v == null || r == null ? null : op == '+' ? v + r : v - r;
            }
            return v;
        }

        private Double product() {
            Double v = atom();
            while (at < text.length() && (text.charAt(at) == '*' || text.charAt(at) == '/')) {
                char op = text.charAt(at++);
                Double r = atom();
                // Division by zero gives no datapoint in CloudWatch metric math.
                v = v == null || r == null || (op == '/' && r == 0) ? null : op == '*' ? v * r : v / r;
            }
            return v;
        }

        private Double atom() {
            if (take('(')) {
                Double v = comparison();
                expect(')');
                return v;
            }
            int start = at;
            while (at < text.length() && (Character.isLetterOrDigit(text.charAt(at)) || text.charAt(at) == '.' || text.charAt(at) == '_')) {
                at++;
            }
            String word = text.substring(start, at);
            if (word.equals("IF")) {
                expect('(');
                Double condition = comparison();
                expect(',');
                Double then = comparison();
                expect(',');
                Double otherwise = comparison();
                expect(')');
                return condition == null ? null : condition != 0 ? then : otherwise;
            }
            if (word.equals("FILL")) {
                expect('(');
                Double v = comparison();
                expect(',');
                Double fill = comparison();
                expect(')');
                return v == null ? fill : v;
            }
            if (!word.isEmpty() && Character.isDigit(word.charAt(0))) {
                return Double.valueOf(word);
            }
            assertThat(expressions.containsKey(word) || values.containsKey(word)).as("known id %s", word).isTrue();
            return value(word);
        }

        private boolean take(char c) {
            if (at < text.length() && text.charAt(at) == c) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            assertThat(take(c)).as("'%s' at %d of %s", c, at, text).isTrue();
        }
    }
}
