package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's first command as a new user runs it: {@code ./mvnw quarkus:dev} with nothing
 * configured (no SMTP_*, no RELAY_*, no answer to any question, a home without Quarkus's
 * analytics choice), then {@code node actions/try-local.js verify_email}. One launch for every
 * check that needs dev mode: it is the slowest thing to start here.
 */
class DevModeIT {

    private static final Path LOG = Path.of("target", "dev-mode-it.log");
    private static final String STARTED = "Profile dev activated";
    private static final String FAILED = "Failed to start quarkus";
    /** A copy of the sources, so dev mode's own compilation never rewrites this build's target/. */
    private static final Path PROJECT = Path.of("target", "dev-mode-project");
    private static final long START_LIMIT_MS = 240_000;

    private static Process maven;
    private static int port;

    @BeforeAll
    static void launch() throws Exception {
        port = freePort();
        Path home = Files.createTempDirectory("dev-mode-home");
        String mvnw = PROJECT.toAbsolutePath().resolve("mvnw").toString();
        List<String> command = new java.util.ArrayList<>(List.of(mvnw, "-B", "quarkus:dev",
                // In dev mode the Lambda mock event server is the relay's HTTP front (8080 by default);
                // other ports than the defaults, so a developer's own dev mode never collides with this one.
                "-Dquarkus.lambda.mock-event-server.dev-port=" + port,
                "-Dquarkus.http.port=" + freePort(),
                // The debugger port (5005) may be taken by a developer's own dev mode.
                "-Ddebug=false",
                // Explicit, since its default would move with user.home below.
                "-Dmaven.repo.local=" + System.getProperty("maven.repo.local",
                        Path.of(System.getProperty("user.home"), ".m2", "repository").toString())));
        copyProject();
        ProcessBuilder pb = new ProcessBuilder(command).directory(PROJECT.toFile()).redirectErrorStream(true)
                .redirectOutput(LOG.toFile())
                // A closed stdin, as in CI or an IDE run: a question would get no answer.
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SMTP_") || k.startsWith("RELAY_") || k.startsWith("QUARKUS_")
                || k.equals("MAVEN_OPTS") || k.equals("MAVEN_ARGS"));
        // A home without ~/.redhat: Quarkus asks its analytics question only when no choice is stored there.
        env.put("MAVEN_OPTS", "-Duser.home=" + home);
        maven = pb.start();
        long until = System.currentTimeMillis() + START_LIMIT_MS;
        while (System.currentTimeMillis() < until && maven.isAlive() && !log().contains(STARTED) && !log().contains(FAILED)) {
            Thread.sleep(250);
        }
        assertThat(log()).as("dev mode started (see %s)", LOG).contains(STARTED)
                .contains("Listening on: http://localhost:" + port + "/");
    }

    /** A fresh copy each run (its target/ is kept, for dev mode's incremental build): no deleted source lingers. */
    private static void copyProject() throws IOException {
        for (String top : List.of("pom.xml", "mvnw", ".mvn", "src", "actions")) {
            Path from = Path.of(top);
            Path old = PROJECT.resolve(top);
            if (Files.exists(old)) {
                try (var stale = Files.walk(old)) {
                    for (Path p : (Iterable<Path>) stale.sorted(java.util.Comparator.reverseOrder())::iterator) {
                        Files.delete(p);
                    }
                }
            }
            try (var files = Files.walk(from)) {
                for (Path file : (Iterable<Path>) files.filter(f -> !f.toString().contains("node_modules"))::iterator) {
                    Path to = PROJECT.resolve(file.toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(to);
                    } else {
                        Files.createDirectories(to.getParent());
                        Files.copy(file, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                                java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (maven == null) {
            return;
        }
        // quarkus:dev runs the application in a child JVM: stop it too, not only Maven.
        List<ProcessHandle> all = new java.util.ArrayList<>(maven.descendants().toList());
        all.add(maven.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void deliversTheActionsNotificationWithNothingConfigured() throws Exception {
        Node run = tryLocal("verify_email");
        assertThat(run.output()).as("try-local.js against dev mode").isEqualTo("delivered");
        assertThat(run.exitCode()).isZero();
        assertThat(log()).contains("SMTP_HOST is not set");
    }

    @Test
    void servesProblemJsonNotTheDevErrorPage() throws Exception {
        Node run = tryLocal("not a word");
        assertThat(run.output()).startsWith("drop: auth0-mail-relay answered 400: field 'message_type'");
    }

    @Test
    void asksNoQuestionOnAFirstNonInteractiveRun() throws IOException {
        assertThat(log()).doesNotContain("anonymous build time data").doesNotContain("Failed to collect user input");
    }

    @Test
    void startsWithoutErrors() throws IOException {
        assertThat(log()).doesNotContain("Error restarting Quarkus").doesNotContain("NoClassDefFoundError")
                .doesNotContain("[ERROR]");
    }

    private record Node(int exitCode, String output) {
    }

    /** try-local.js as the README gives it; only the port differs from the default, so tests never collide with a running dev mode. */
    private static Node tryLocal(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("node", "actions/try-local.js"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("RELAY_"));
        pb.environment().put("RELAY_URL", "http://localhost:" + port + Relay.PATH);
        Process process = pb.start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("node finished").isTrue();
        return new Node(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
    }

    private static String log() throws IOException {
        return Files.exists(LOG) ? Files.readString(LOG) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
