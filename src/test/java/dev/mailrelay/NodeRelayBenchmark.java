package dev.mailrelay;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The side-by-side figures for {@link PerformanceBenchmark}: a minimal Node.js relay
 * (src/test/node-relay, nodemailer) doing the same job under the same Lambda Runtime API stand-in,
 * against the same SMTP server, with the same events and timings: cold start (process launch →
 * delivered notification answered; init = launch → first poll), the warm path (event handed out →
 * response) and peak RSS (VmHWM). Pinned to one core with taskset when it exists. Skipped, with a
 * line in the report, when there is no {@code node} (or {@code npm}) on the PATH;
 * {@code -Dbenchmark.node=/path/to/node} picks another one.
 */
final class NodeRelayBenchmark {

    private static final Path SOURCES = Path.of("src", "test", "node-relay");
    private static final Path DIR = Path.of("target", "node-relay");
    private static final List<String> FILES = List.of("index.mjs", "package.json", "package-lock.json");

    private NodeRelayBenchmark() {
    }

    /**
     * A markdown section: the cold-start table and the warm-path table, or the reason it was skipped
     * or failed (a failure here must not cost the Java figures, nor leave the SMTP server running).
     */
    static String run(TestSmtpServer smtp, SmtpServerResource.Certificates certs, int coldStarts, int warmMessages) {
        try {
            return measure(smtp, certs, coldStarts, warmMessages);
        } catch (Exception e) {
            e.printStackTrace();
            return "Node.js relay: failed (" + e + "); see target/benchmark-node-*.log and target/node-relay-npm.log.\n";
        }
    }

    private static String measure(TestSmtpServer smtp, SmtpServerResource.Certificates certs, int coldStarts, int warmMessages)
            throws Exception {
        Optional<Path> node = node();
        Optional<Path> npm = npm(node);
        if (node.isEmpty() || npm.isEmpty()) {
            return "Node.js relay: skipped, no `node` and `npm` on the PATH.\n";
        }
        String version = output(List.of(node.get().toString(), "--version")).strip();
        for (String log : List.of("benchmark-node-cold.log", "benchmark-node-warm.log")) {
            Files.deleteIfExists(Path.of("target", log));
        }
        install(npm.get());
        String nodemailer = Relay.JSON.readTree(DIR.resolve("node_modules/nodemailer/package.json").toFile()).get("version").asText();
        List<String> command = oneCore(List.of(node.get().toString(), "index.mjs"));
        Map<String, String> env = env(smtp, certs);
        String title = "Node.js relay (src/test/node-relay: node " + version + ", nodemailer " + nodemailer + ", plain secrets"
                + (command.get(0).endsWith("taskset") ? ", one core" : "") + ")";
        StringBuilder report = new StringBuilder();
        if (coldStarts > 0) {
            report.append(coldStart(command, env, coldStarts, title));
        }
        if (warmMessages > 0) {
            report.append(report.isEmpty() ? "" : "\n").append(warm(command, env, smtp, warmMessages, title));
        }
        return report.toString();
    }

    private static Optional<Path> node() {
        return Optional.ofNullable(System.getProperty("benchmark.node")).map(Path::of).or(() -> onPath("node"));
    }

    private static Optional<Path> npm(Optional<Path> node) {
        return node.flatMap(n -> Optional.of(n.resolveSibling("npm")).filter(Files::isExecutable)).or(() -> onPath("npm"));
    }

    /**
     * The Node.js relay installed and started against {@code runtimeApi}, one core, for
     * PerformanceBenchmark's interleaved comparison; empty without node and npm. Stop it with {@link #stopAndWait}.
     */
    static Optional<Process> start(TestSmtpServer smtp, SmtpServerResource.Certificates certs, String runtimeApi) throws Exception {
        Optional<Path> node = node();
        Optional<Path> npm = npm(node);
        if (node.isEmpty() || npm.isEmpty()) {
            return Optional.empty();
        }
        install(npm.get());
        return Optional.of(start(oneCore(List.of(node.get().toString(), "index.mjs")), runtimeApi, env(smtp, certs),
                Path.of("target", "benchmark-node-interleaved.log")));
    }

    /** The Java function's plain-secrets environment (PerformanceBenchmark.env), less what only Quarkus reads. */
    private static Map<String, String> env(TestSmtpServer smtp, SmtpServerResource.Certificates certs) {
        return new HashMap<>(Map.of(
                "SMTP_HOST", "localhost", "SMTP_PORT", String.valueOf(smtp.port()),
                "SMTP_USERNAME", TestSmtpServer.USERNAME, "SMTP_PASSWORD", TestSmtpServer.PASSWORD,
                "SMTP_CA_FILE", certs.ca().toString(), "RELAY_SECRET", SmtpServerResource.SECRET,
                "RELAY_ALLOWED_FROM", "@mail.example.com"));
    }

    /** The sources copied to target/node-relay and their locked dependencies installed there (node_modules is never committed). */
    private static void install(Path npm) throws IOException, InterruptedException {
        Files.createDirectories(DIR);
        for (String file : FILES) {
            if (Files.exists(SOURCES.resolve(file))) {
                Files.copy(SOURCES.resolve(file), DIR.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        List<String> command = Files.exists(DIR.resolve("package-lock.json"))
                ? List.of(npm.toString(), "ci", "--no-audit", "--no-fund")
                : List.of(npm.toString(), "install", "--no-audit", "--no-fund");
        Path log = Path.of("target", "node-relay-npm.log").toAbsolutePath();
        Process p = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed in " + DIR + "; see " + log);
        }
    }

    private record Launch(long total, long init, long rssKb) {
    }

    private static String coldStart(List<String> command, Map<String, String> env, int launches, String title) throws Exception {
        List<Launch> times = new ArrayList<>();
        Path log = Path.of("target", "benchmark-node-cold.log");
        for (int i = 0; i < launches; i++) {
            try (LambdaRuntimeStandIn runtime = new LambdaRuntimeStandIn()) {
                var answer = runtime.invoke(PackagedFunctionIT.event(Relay.notification()), Duration.ofSeconds(14));
                long start = System.currentTimeMillis();
                Process process = start(command, runtime.address(), env, log);
                try {
                    var done = answer.get(60, TimeUnit.SECONDS);
                    if (!done.response().contains("\\\"status\\\":\\\"sent\\\"")) {
                        throw new IllegalStateException("not delivered: " + done.response());
                    }
                    times.add(new Launch(done.answeredAtMillis() - start, runtime.firstPollAtMillis() - start, PerformanceBenchmark.status(process.pid(), "VmHWM:")));
                } finally {
                    stopAndWait(process);
                }
            }
        }
        List<Long> totals = times.stream().map(Launch::total).toList();
        List<Long> inits = times.stream().map(Launch::init).toList();
        List<Long> firsts = times.stream().map(l -> l.total() - l.init()).toList();
        List<Long> rss = times.stream().map(Launch::rssKb).toList();
        return "| " + title + ", cold start (median of " + launches + " launches) | process start → delivered notification answered"
                + " | of which init (→ first poll) | first invocation | min | max | peak RSS after it (VmHWM) |\n"
                + "|---|---|---|---|---|---|---|\n"
                + "| node index.mjs, pooled transport made in init, connected on the first send | " + PerformanceBenchmark.median(totals) + " ms | "
                + PerformanceBenchmark.median(inits) + " ms | " + PerformanceBenchmark.median(firsts) + " ms | " + Collections.min(totals) + " ms | " + Collections.max(totals)
                + " ms | " + PerformanceBenchmark.median(rss) / 1024 + " MB |\n";
    }

    /** PerformanceBenchmark's warm path on a Node.js instance. */
    private static String warm(List<String> command, Map<String, String> env, TestSmtpServer smtp, int messages, String title)
            throws Exception {
        try (LambdaRuntimeStandIn runtime = new LambdaRuntimeStandIn()) {
            Process process = start(command, runtime.address(), env, Path.of("target", "benchmark-node-warm.log"));
            try {
                return PerformanceBenchmark.warmPath(runtime, smtp, messages, process.pid(), title + ", warm path");
            } finally {
                stopAndWait(process);
            }
        }
    }

    /** Started as PackagedFunction starts the Java function: its environment, the runtime API address, a log. */
    private static Process start(List<String> command, String runtimeApi, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toAbsolutePath().toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("RELAY_") || k.startsWith("SMTP_") || k.startsWith("NODE_"));
        pb.environment().putAll(env);
        pb.environment().put("AWS_LAMBDA_RUNTIME_API", runtimeApi);
        pb.environment().put("AWS_LAMBDA_FUNCTION_NAME", "auth0-mail-relay-node");
        pb.environment().put("LAMBDA_TASK_ROOT", DIR.toAbsolutePath().toString());
        return pb.start();
    }

    /** SIGTERM, as Lambda sends at shutdown, then the exit. */
    static void stopAndWait(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    /** taskset execs node, so the process id is node's and /proc/pid/status is its own. */
    private static List<String> oneCore(List<String> command) {
        Path taskset = Path.of("/usr/bin/taskset");
        if (!Files.isExecutable(taskset)) {
            return command;
        }
        List<String> pinned = new ArrayList<>(List.of(taskset.toString(), "-c", "0"));
        pinned.addAll(command);
        return pinned;
    }

    private static Optional<Path> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate.toAbsolutePath());
            }
        }
        return Optional.empty();
    }

    private static String output(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

}
