package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The packaged relay, started as in production, refuses to run without its required settings. */
class ProductionStartupIT {

    @Test
    void refusesToStartWithoutSecretAndSmtpHostNamingBoth() throws Exception {
        Result result = start(Map.of());
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("auth0-mail-relay cannot start: RELAY_SECRET (or RELAY_SECRET_ARN) and SMTP_HOST are not set");
    }

    @Test
    void refusesToStartWithoutSmtpHost() throws Exception {
        Result result = start(Map.of("RELAY_SECRET", SmtpServerResource.SECRET));
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("auth0-mail-relay cannot start: SMTP_HOST is not set")
                .doesNotContain(SmtpServerResource.SECRET.substring(6));
    }

    @Test
    void refusesToStartWithAMalformedSecretWithoutPrintingIt() throws Exception {
        Result result = start(Map.of("RELAY_SECRET", "whsec_not!base64", "SMTP_HOST", "localhost"));
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("RELAY_SECRET holds a value that is not whsec_ followed by base64")
                .doesNotContain("not!base64");
    }

    @Test
    void refusesToStartWithAnIncompleteOAuthSettingNamingEachMissingOne() throws Exception {
        Result result = start(Map.of("RELAY_SECRET", SmtpServerResource.SECRET, "SMTP_HOST", "localhost", "SMTP_AUTH", "oauth2",
                "SMTP_USERNAME", "relay@mail.example.com", "SMTP_OAUTH_CLIENT_ID", "app", "SMTP_OAUTH_CLIENT_SECRET", "s3cr3t-value"));
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("auth0-mail-relay cannot start: SMTP_AUTH=oauth2 needs SMTP_OAUTH_TOKEN_URL and SMTP_OAUTH_SCOPE")
                .doesNotContain("s3cr3t-value");
    }

    private record Result(int exitCode, String output) {
    }

    private static Result start(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "-jar", System.getProperty("runner.jar"));
        pb.environment().keySet().removeIf(k -> k.startsWith("RELAY_") || k.startsWith("SMTP_"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process process = pb.start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        assertThat(exited).as("the relay exited on its own").isTrue();
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
