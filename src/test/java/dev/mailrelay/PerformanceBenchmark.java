package dev.mailrelay;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The product figures (README, docs/performance.md): cold start of the packaged function.zip under
 * the Lambda Runtime Interface Client, the warm path over one instance, and the floor (the same
 * messages over one open SMTP connection from a plain client). Run with {@code ./mvnw -Pbenchmark verify}.
 */
public final class PerformanceBenchmark {

    private static final int COLD_STARTS = Integer.getInteger("benchmark.cold-starts", 10);
    private static final int WARM_MESSAGES = Integer.getInteger("benchmark.warm-messages", 2000);
    static final int WARM_UP = 300;
    /** {@code -Dbenchmark.snapstart-only=true}: only the SnapStart lifecycle (and the warm path), for quick comparisons. */
    private static final boolean SNAPSTART_ONLY = Boolean.getBoolean("benchmark.snapstart-only");
    /** Added to every launch, for diagnosis (for example a JFR recording); space-separated. */
    private static final List<String> EXTRA = List.of(System.getProperty("benchmark.jvm-options", "").split(" ")).stream()
            .filter(o -> !o.isBlank()).toList();
    /** The JVM sees the memory of a 1024 MB function (template.yaml), not the whole machine. */
    private static final String LAMBDA_MEMORY = "-XX:MaxRAM=1024m";
    /** The function's JVM: {@code -Dbenchmark.java=/path/to/bin/java} compares JDKs; default, the one running this. */
    private static final String JAVA = System.getProperty("benchmark.java",
            ProcessHandle.current().info().command().orElse("java"));

    private PerformanceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        try {
            run();
        } catch (Exception | Error e) {
            // exec:java would otherwise wait for the stand-ins' threads forever, with no report.
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void run() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        String standIns = offTheFunctionsCore();
        SmtpServerResource.Certificates certs = SmtpServerResource.certificates();
        TestSmtpServer smtp = new TestSmtpServer(certs.keyStores(), SmtpServerResource.STORE_PASSWORD, false);
        if (!PIPELINING) {
            smtp.withoutPipelining();
        }
        int feature = featureVersion(JAVA);
        StringBuilder report = new StringBuilder();
        report.append("machine: ").append(cores).append(" cores; function JVM: ")
                .append(JAVA).append(" (Java ").append(feature).append("); function.zip ")
                .append(Files.size(Path.of("target", "function.zip")) / 1024).append(" KiB; ").append(standIns)
                .append(PIPELINING ? "; the SMTP server offers PIPELINING" : "; the SMTP server does not offer PIPELINING").append("\n\n");
        Map<String, String> plain = env(smtp, certs);
        List<Runnable> cleanUp = new ArrayList<>();
        Map<String, String> deployed = deployedEnv(plain, cleanUp);
        // What an instance restored from a SnapStart snapshot (or a provisioned one) starts from:
        // an init that primed the request path; its first invocation is what the user waits for.
        Map<String, String> primed = new HashMap<>(deployed);
        primed.put("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency");
        List<String> c1 = List.of(LAMBDA_MEMORY, "-XX:TieredStopAtLevel=1");
        List<Variant> variants = new ArrayList<>(List.of(
                new Variant("default JIT, in-memory store, plain secrets", List.of(LAMBDA_MEMORY), plain),
                new Variant("C1 only (as template.yaml sets), in-memory store, plain secrets", c1, plain),
                new Variant("C1 only, Secrets Manager + DynamoDB (as deployed)", c1, deployed),
                new Variant("C1 only, as deployed, request path primed in init (SnapStart, provisioned)", c1, primed)));
        // SMTP_AUTH=microsoft: the first invocation also fetches a token (Entra-shaped endpoint on
        // loopback) and signs in with XOAUTH2 (a server of its own that accepts only that).
        TestSmtpServer oauthSmtp = new TestSmtpServer(certs.keyStores(), SmtpServerResource.STORE_PASSWORD, false);
        oauthSmtp.signInWithTokens("XOAUTH2_MICROSOFT", java.util.Set.of("benchmark-token"));
        TokenEndpointStandIn tokens = new TokenEndpointStandIn();
        tokens.init(Map.of("provider", "microsoft"));
        Map<String, String> oauth = new HashMap<>(plain);
        oauth.remove("SMTP_PASSWORD");
        oauth.put("SMTP_PORT", String.valueOf(oauthSmtp.port()));
        tokens.start().forEach((key, value) -> oauth.put(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'), value));
        tokens.issues("benchmark-token");
        cleanUp.add(oauthSmtp::stop);
        cleanUp.add(tokens::stop);
        variants.add(new Variant("C1 only, in-memory store, SMTP_AUTH=microsoft (token fetched on first use)", c1, oauth));
        if (COLD_STARTS == 0 || SNAPSTART_ONLY) {
            variants.clear();
        } else if (feature >= 25) {
            // JDK 25's AOT cache (JEP 483/514/515): classes loaded and linked, plus method profiles,
            // recorded by one training launch that delivers a notification.
            Path cache = Path.of("target", "benchmark.aot").toAbsolutePath();
            Files.deleteIfExists(cache);
            coldStart(deployed, List.of(LAMBDA_MEMORY, "-XX:AOTCacheOutput=" + cache), 1, Path.of("target", "benchmark-training.log"));
            variants.add(new Variant("C1 only, as deployed, JDK 25 AOT cache", List.of(LAMBDA_MEMORY, "-XX:AOTCache=" + cache,
                    "-XX:TieredStopAtLevel=1"), deployed));
        } else {
            Path archive = Path.of("target", "benchmark-appcds.jsa").toAbsolutePath();
            Files.deleteIfExists(archive);
            coldStart(deployed, List.of(LAMBDA_MEMORY, "-XX:ArchiveClassesAtExit=" + archive), 1,
                    Path.of("target", "benchmark-training.log"));
            variants.add(new Variant("C1 only, as deployed, AppCDS archive", List.of(LAMBDA_MEMORY, "-XX:SharedArchiveFile=" + archive,
                    "-XX:TieredStopAtLevel=1"), deployed));
        }
        if (!variants.isEmpty()) {
            report.append("| cold start (median of ").append(COLD_STARTS).append(" launches) | JVM start → delivered notification answered")
                    .append(" | of which init (→ first poll) | first invocation | min | max |\n|---|---|---|---|---|---|\n");
        }
        for (Variant variant : variants) {
            List<Launch> launches = coldStart(variant.env(), variant.jvm(), COLD_STARTS);
            List<Long> totals = launches.stream().map(Launch::total).toList();
            List<Long> inits = launches.stream().map(Launch::init).toList();
            List<Long> firsts = launches.stream().map(l -> l.total() - l.init()).toList();
            report.append("| ").append(variant.name()).append(" | ").append(median(totals)).append(" ms | ")
                    .append(median(inits)).append(" ms | ").append(median(firsts)).append(" ms | ")
                    .append(Collections.min(totals)).append(" ms | ").append(Collections.max(totals)).append(" ms |\n");
        }
        if (Boolean.getBoolean("benchmark.class-list")) {
            report.append(classList(deployed)).append('\n');
        }
        if (COLD_STARTS > 0) {
            warmStandIns(deployed, smtp, certs);
            report.append('\n').append(snapStart(deployed, COLD_STARTS, feature));
        }
        if (WARM_MESSAGES > 0) {
            report.append('\n').append(warm(smtp, certs)).append('\n').append(floor(smtp, certs))
                    .append('\n').append(interleaved(smtp, certs));
        }
        report.append('\n').append(NodeRelayBenchmark.run(smtp, certs, COLD_STARTS, WARM_MESSAGES)); // side by side
        smtp.stop();
        cleanUp.forEach(Runnable::run);
        Files.writeString(Path.of("target", "benchmark.md"), report);
        System.out.println("\n" + report);
    }

    private static int featureVersion(String launcher) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(launcher, "-version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        var m = java.util.regex.Pattern.compile("version \"(\\d+)").matcher(out);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static Map<String, String> env(TestSmtpServer smtp, SmtpServerResource.Certificates certs) {
        Map<String, String> env = new HashMap<>(Map.of(
                "SMTP_HOST", "localhost", "SMTP_PORT", String.valueOf(smtp.port()),
                "SMTP_USERNAME", TestSmtpServer.USERNAME, "SMTP_PASSWORD", TestSmtpServer.PASSWORD,
                "SMTP_CA_FILE", certs.ca().toString(), "RELAY_SECRET", SmtpServerResource.SECRET,
                "RELAY_ALLOWED_FROM", "@mail.example.com"));
        env.put("QUARKUS_LOG_CATEGORY__DEV_MAILRELAY_DELIVERY__LEVEL", "WARN"); // one line per message would dominate
        return env;
    }

    /**
     * As template.yaml deploys it: both secrets from Secrets Manager (WireMock on loopback) and the
     * idempotency records in DynamoDB (DynamoDB Local), so their clients' first calls are counted.
     */
    private static Map<String, String> deployedEnv(Map<String, String> plain, List<Runnable> cleanUp) {
        SecretsManagerStandIn secrets = new SecretsManagerStandIn();
        DynamoDbLocal dynamo = new DynamoDbLocal();
        Map<String, String> config = new HashMap<>(secrets.start());
        config.putAll(dynamo.start());
        // Stopped at the end: WireMock's threads would otherwise keep Maven's JVM (and DynamoDB Local) alive.
        cleanUp.add(secrets::stop);
        cleanUp.add(dynamo::stop);
        secrets.holds(SecretsManagerStandIn.RELAY_SECRET_ARN, SmtpServerResource.SECRET);
        secrets.holds(SecretsManagerStandIn.SMTP_PASSWORD_ARN, TestSmtpServer.PASSWORD);
        Map<String, String> env = new HashMap<>(plain);
        env.remove("RELAY_SECRET");
        env.remove("SMTP_PASSWORD");
        config.forEach((key, value) -> env.put(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'), value));
        // What Lambda sets for the execution role.
        env.putAll(Map.of("AWS_REGION", "eu-west-1", "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                "AWS_SESSION_TOKEN", "test-session"));
        return env;
    }

    private record Variant(String name, List<String> jvm, Map<String, String> env) {
    }

    /** Launch to answer and launch to the first poll (the end of the init phase), per launch. */
    /**
     * The cold start users wait for behind the SnapStart alias: init with AWS_LAMBDA_INITIALIZATION_TYPE
     * =snap-start, the runtime client's beforeCheckpoint hooks (org.crac resources reach them through
     * its compat layer), restore/next answered when the event arrives, afterRestore hooks, then the
     * first invocation. Lambda's JVM settings for 1024 MB (serial GC, heap 85 %, C1) on one core when
     * taskset exists. Lambda's own restore time (p50 ≈ 0.6–0.7 s published for Quarkus JVM functions)
     * comes on top and cannot be measured here.
     */
    private static String snapStart(Map<String, String> deployed, int launches, int feature) throws Exception {
        Map<String, String> env = new HashMap<>(deployed);
        env.put("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
        List<String> jvm = new ArrayList<>(List.of(LAMBDA_MEMORY, "-XX:+UseSerialGC", "-XX:MaxHeapSize=870m",
                "-Dorg.crac.Core.Compat=com.amazonaws.services.lambda.crac"));
        if (feature < 25) {
            jvm.add("-XX:TieredStopAtLevel=1"); // Lambda's default on java21; on java25 under SnapStart it keeps C2
        } else {
            jvm.add("--add-opens=java.base/java.lang=ALL-UNNAMED"); // jboss-threads on Java 24+
        }
        jvm.addAll(EXTRA);
        String java = oneCore(JAVA);
        List<Long> afterRestore = new ArrayList<>();
        List<Long> inits = new ArrayList<>();
        List<Long> peaks = new ArrayList<>();
        List<Long> resident = new ArrayList<>();
        for (int i = 0; i < launches; i++) {
            Path log = Path.of("target", "benchmark-snapstart-" + i + ".log"); // one per launch: an outlier can be read
            try (LambdaRuntimeStandIn runtime = new LambdaRuntimeStandIn()) {
                long start = System.currentTimeMillis();
                try (PackagedFunction function = PackagedFunction.start(java, runtime.address(), env, log, jvm)) {
                    long until = System.currentTimeMillis() + 60_000;
                    while (runtime.restoreAskedAtMillis() < 0 && System.currentTimeMillis() < until && function.isAlive()) {
                        Thread.sleep(5);
                    }
                    if (runtime.restoreAskedAtMillis() < 0) {
                        throw new IllegalStateException("the runtime client never asked restore/next; see " + log);
                    }
                    Thread.sleep(500); // a snapshot is taken, time passes: the event arrives on a quiet JVM
                    var done = runtime.invoke(PackagedFunctionIT.event(Relay.notification()), Duration.ofSeconds(14))
                            .get(60, TimeUnit.SECONDS);
                    if (!done.response().contains("\\\"status\\\":\\\"sent\\\"")) {
                        throw new IllegalStateException("not delivered: " + done.response());
                    }
                    afterRestore.add(done.answeredAtMillis() - runtime.restoredAtMillis());
                    inits.add(runtime.restoreAskedAtMillis() - start);
                    peaks.add(status(function.pid(), "VmHWM:"));
                    resident.add(status(function.pid(), "VmRSS:"));
                    function.stopAndWait();
                }
            }
        }
        return "| SnapStart lifecycle (median of " + launches + ", Lambda's JVM settings" + (java.equals(JAVA) ? "" : ", one core")
                + ") | first request after restore | min | max | init + beforeCheckpoint | peak RSS (VmHWM) | RSS after the request |\n"
                + "|---|---|---|---|---|---|---|\n"
                + "| as deployed, snap-start | " + median(afterRestore) + " ms | " + Collections.min(afterRestore) + " ms | "
                + Collections.max(afterRestore) + " ms | " + median(inits) + " ms | " + median(peaks) / 1024 + " MB | "
                + median(resident) / 1024 + " MB |\n";
    }

    /** Where CheckpointPriming finds the classes it loads before a snapshot. */
    static final Path CLASS_LIST = Path.of("src", "main", "resources", "checkpoint-classes.txt");

    /**
     * Writes {@link #CLASS_LIST} from a class-load diff: the classes a snap-start function loads
     * after its restore, once delivering a notification and once answering a refused login (the
     * error path), that it had not loaded by the end of its beforeCheckpoint hooks. Generated and
     * hidden classes (lambdas, proxies) cannot be loaded by name and are left out.
     */
    private static String classList(Map<String, String> deployed) throws Exception {
        Map<String, String> env = new HashMap<>(deployed);
        env.put("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
        java.util.Set<String> afterRestore = new java.util.TreeSet<>();
        for (boolean refused : new boolean[] { false, true }) {
            Path log = Path.of("target", "class-load-" + (refused ? "refused" : "delivered") + ".log").toAbsolutePath();
            Map<String, String> run = new HashMap<>(env);
            if (refused) {
                run.put("SMTP_USERNAME", "nobody@mail.example.com");
            }
            List<String> jvm = List.of(LAMBDA_MEMORY, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dorg.crac.Core.Compat=com.amazonaws.services.lambda.crac",
                    "-D" + CheckpointPriming.CLASS_LIST_SWITCH + "=false", // the diff is against invoke priming alone
                    "-Xlog:class+load=info:file=" + log + ":none");
            try (LambdaRuntimeStandIn runtime = new LambdaRuntimeStandIn();
                    PackagedFunction function = PackagedFunction.start(JAVA, runtime.address(), run,
                            Path.of("target", "benchmark-class-list.log"), jvm)) {
                long until = System.currentTimeMillis() + 60_000;
                while (runtime.restoreAskedAtMillis() < 0 && System.currentTimeMillis() < until && function.isAlive()) {
                    Thread.sleep(5);
                }
                if (runtime.restoreAskedAtMillis() < 0) {
                    throw new IllegalStateException("the runtime client never asked restore/next; see target/benchmark-class-list.log");
                }
                Thread.sleep(500);
                int beforeRestore = Files.readAllLines(log).size();
                var done = runtime.invoke(PackagedFunctionIT.event(Relay.notification()), Duration.ofSeconds(14)).get(60, TimeUnit.SECONDS);
                if (done.response().contains("\\\"status\\\":\\\"sent\\\"") == refused) {
                    throw new IllegalStateException("unexpected answer: " + done.response());
                }
                Thread.sleep(500);
                function.stopAndWait();
                List<String> lines = Files.readAllLines(log);
                lines.subList(beforeRestore, lines.size()).stream().map(l -> l.split(" ")[0])
                        .filter(name -> !name.contains("$$") && !name.contains("/0x") && !name.startsWith("jdk.internal.reflect.Generated"))
                        .forEach(afterRestore::add);
            }
        }
        Files.writeString(CLASS_LIST, "# Classes a snap-start function loads after its restore; CheckpointPriming loads them before the\n"
                + "# snapshot. Generated by ./mvnw -Pbenchmark verify -Dbenchmark.class-list=true (docs/performance.md).\n"
                + String.join("\n", afterRestore) + "\n");
        return "class list: " + afterRestore.size() + " classes written to " + CLASS_LIST + "\n";
    }

    /**
     * Before the SnapStart launches: the stand-ins answer as the warm services they stand for
     * (Secrets Manager, DynamoDB, an SMTP provider) rather than as JVMs meeting their first
     * requests, which would otherwise dominate the first launches' figures: 300 secret reads, 300
     * claims and releases, 100 SMTP sessions with STARTTLS, AUTH and a message, 5 000 parses.
     */
    private static void warmStandIns(Map<String, String> deployed, TestSmtpServer smtp, SmtpServerResource.Certificates certs)
            throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var keys = new dev.mailrelay.aws.AwsCredentials(json);
        var secrets = new dev.mailrelay.aws.AwsJsonClient("secretsmanager", "secretsmanager", "1.1",
                java.util.Optional.of(java.net.URI.create(deployed.get("RELAY_SECRETS_ENDPOINT"))), keys, json);
        var dynamo = new dev.mailrelay.aws.AwsJsonClient("dynamodb", "DynamoDB_20120810", "1.0",
                java.util.Optional.of(java.net.URI.create(deployed.get("RELAY_IDEMPOTENCY_ENDPOINT"))), keys, json);
        String table = deployed.get("RELAY_IDEMPOTENCY_TABLE");
        for (int i = 0; i < 300; i++) {
            secrets.call("GetSecretValue", Map.of("SecretId", SecretsManagerStandIn.RELAY_SECRET_ARN));
            Map<String, Object> key = Map.of("id", Map.of("S", "benchmark-warm-up-" + i));
            dynamo.call("PutItem", Map.of("TableName", table, "Item", key));
            dynamo.call("DeleteItem", Map.of("TableName", table, "Key", key));
        }
        SSLContext context = clientTls(certs);
        for (int i = 0; i < 100; i++) {
            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), smtp.port())) {
                Smtp c = Smtp.signIn(plain, context, "warm-up");
                c.cmd("MAIL FROM:<relay@mail.example.com>", 250);
                c.cmd("RCPT TO:<jane.doe@example.org>", 250);
                c.cmd("DATA", 354);
                c.out.write(WARM_UP_MESSAGE);
                c.out.flush();
                c.expect(250);
                c.cmd("QUIT", 221);
            }
        }
        TestSmtpServer.warmUp(java.util.Arrays.copyOf(WARM_UP_MESSAGE, WARM_UP_MESSAGE.length - 3), 5_000);
    }

    /** A login mail as the relay writes one (multipart, quoted-printable), ending in the final dot. */
    private static final byte[] WARM_UP_MESSAGE = ("From: Example <noreply@mail.example.com>\r\nTo: jane.doe@example.org\r\n"
            + "Subject: =?UTF-8?Q?Verify_your_email_=E2=80=93?=\r\nMessage-ID: <warm-up@mail.example.com>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: quoted-printable\r\n\r\nHello Jane, verify: https://example.com/v?t=3Dx\r\n--b1\r\n"
            + "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + "<p>Hello Jane, <a href=3D\"https://example.com/v?t=3Dx\">verify</a>.</p>\r\n--b1--\r\n.\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    /** A figure in kB from /proc/PID/status ("VmHWM:", "VmRSS:"), or -1. */
    static long status(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream().filter(l -> l.startsWith(field))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1L);
    }

    /** User plus system CPU time of process {@code pid} so far, from /proc/PID/stat (clock ticks of 10 ms). */
    static long cpuMillis(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10; // utime, stime (fields 14, 15)
    }

    /**
     * Moves this JVM (the SMTP server, the Runtime API, Secrets Manager and the Node.js relay's
     * stand-ins, and DynamoDB Local, which it starts) to core 1, so that the function's core 0 is its
     * own, as a Lambda's share of a CPU is: their threads and their JIT compilers otherwise take
     * turns on it with the function (a first request once measured 786 ms while this JVM's C2
     * compiler ran on both cores).
     */
    private static String offTheFunctionsCore() throws IOException, InterruptedException {
        Path taskset = Path.of("/usr/bin/taskset");
        if (!Files.isExecutable(taskset) || Runtime.getRuntime().availableProcessors() < 2) {
            return "stand-ins share the function's cores";
        }
        Process p = new ProcessBuilder(taskset.toString(), "-a", "-p", "-c", "1", String.valueOf(ProcessHandle.current().pid()))
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0 ? "stand-ins on core 1, the function on core 0" : "stand-ins share the function's cores";
    }

    /** The java launcher pinned to one CPU (taskset), or as it is when there is no taskset. */
    private static String oneCore(String java) throws IOException {
        Path taskset = Path.of("/usr/bin/taskset");
        if (!Files.isExecutable(taskset)) {
            return java;
        }
        Path wrapper = Path.of("target", "java-one-core").toAbsolutePath();
        Files.writeString(wrapper, "#!/bin/sh\nexec " + taskset + " -c 0 " + java + " \"$@\"\n");
        wrapper.toFile().setExecutable(true);
        return wrapper.toString();
    }

    private record Launch(long total, long init) {
    }

    private static List<Launch> coldStart(Map<String, String> env, List<String> jvm, int launches) throws Exception {
        return coldStart(env, jvm, launches, Path.of("target", "benchmark-cold.log"));
    }

    private static List<Launch> coldStart(Map<String, String> env, List<String> jvm, int launches, Path log) throws Exception {
        List<Launch> times = new ArrayList<>();
        jvm = java.util.stream.Stream.concat(jvm.stream(), EXTRA.stream()).toList();
        for (int i = 0; i < launches; i++) {
            try (LambdaRuntimeStandIn runtime = new LambdaRuntimeStandIn()) {
                var answer = runtime.invoke(PackagedFunctionIT.event(Relay.notification()), Duration.ofSeconds(14));
                long start = System.currentTimeMillis();
                try (PackagedFunction function = PackagedFunction.start(JAVA, runtime.address(), env, log, jvm)) {
                    var done = answer.get(60, TimeUnit.SECONDS);
                    if (!done.response().contains("\\\"status\\\":\\\"sent\\\"")) {
                        throw new IllegalStateException("not delivered: " + done.response());
                    }
                    times.add(new Launch(done.answeredAtMillis() - start, runtime.firstPollAtMillis() - start));
                    function.stopAndWait();
                }
            }
        }
        return times;
    }

    private static String warm(TestSmtpServer smtp, SmtpServerResource.Certificates certs) throws Exception {
        try (LambdaRuntimeStandIn runtime = new LambdaRuntimeStandIn();
                // Lambda's JVM settings for 1024 MB on one core, as the SnapStart rows and the Node relay get.
                PackagedFunction function = PackagedFunction.start(oneCore(JAVA), runtime.address(), env(smtp, certs),
                        Path.of("target", "benchmark-warm.log"), warmJvm())) {
            return warmPath(runtime, smtp, WARM_MESSAGES, function.pid(), "warm path");
        }
    }

    /** Lambda's JVM settings for 1024 MB on one core, as the SnapStart rows and the Node relay get. */
    private static List<String> warmJvm() {
        return java.util.stream.Stream.concat(Stream.of(LAMBDA_MEMORY, "-XX:+UseSerialGC", "-XX:MaxHeapSize=870m",
                "-XX:TieredStopAtLevel=1"), EXTRA.stream()).toList();
    }

    /** One signed notification through {@code runtime}, delivered; its time from the event handed out to the response. */
    private static long deliverOne(LambdaRuntimeStandIn runtime) throws Exception {
        String event = PackagedFunctionIT.event(warmNotification());
        long start = System.nanoTime();
        var done = runtime.invoke(event, Duration.ofSeconds(14)).get(60, TimeUnit.SECONDS);
        long micros = (System.nanoTime() - start) / 1000;
        if (!done.response().contains("\\\"status\\\":\\\"sent\\\"")) {
            throw new IllegalStateException("not delivered: " + done.response());
        }
        return micros;
    }

    /**
     * The Java function and the Node.js relay in the same minutes, their invocations alternating
     * (Java first in even rounds, Node first in odd ones), so both meet the same moment of a shared
     * machine: runs minutes apart do not (the Node relay's own warm p50 ranged 3.6–6.0 ms between
     * runs of one day). Each relay runs alone on core 0 while it answers; the other waits for its
     * next event.
     */
    private static String interleaved(TestSmtpServer smtp, SmtpServerResource.Certificates certs) throws Exception {
        try (LambdaRuntimeStandIn javaRuntime = new LambdaRuntimeStandIn(); LambdaRuntimeStandIn nodeRuntime = new LambdaRuntimeStandIn();
                PackagedFunction function = PackagedFunction.start(oneCore(JAVA), javaRuntime.address(), env(smtp, certs),
                        Path.of("target", "benchmark-interleaved.log"), warmJvm())) {
            java.util.Optional<Process> node = NodeRelayBenchmark.start(smtp, certs, nodeRuntime.address());
            if (node.isEmpty()) {
                return "Interleaved comparison: skipped, no `node` and `npm` on the PATH.\n";
            }
            try {
                List<LambdaRuntimeStandIn> runtimes = List.of(javaRuntime, nodeRuntime);
                for (int i = 0; i < WARM_UP; i++) {
                    for (LambdaRuntimeStandIn runtime : runtimes) {
                        deliverOne(runtime);
                    }
                }
                List<TestSmtpServer.Received> sample = smtp.received();
                TestSmtpServer.warmUp(sample.get(sample.size() - 1).data(), 5_000);
                long[] pids = { function.pid(), node.get().pid() };
                long[] cpu = { cpuMillis(pids[0]), cpuMillis(pids[1]) };
                List<List<Long>> micros = List.of(new ArrayList<>(), new ArrayList<>());
                for (int i = 0; i < WARM_MESSAGES; i++) {
                    for (int k = 0; k < 2; k++) {
                        int r = (i + k) % 2;
                        micros.get(r).add(deliverOne(runtimes.get(r)));
                    }
                }
                for (int r = 0; r < 2; r++) {
                    cpu[r] = cpuMillis(pids[r]) - cpu[r];
                }
                return "| interleaved: " + WARM_MESSAGES + " notifications each" + (HTML_ROWS > 0 ? " with an HTML part of " + HTML_ROWS
                        + " template rows" : "") + ", alternating (after " + WARM_UP + " each), one core | Java relay | Node.js relay |\n"
                        + "|---|---|---|\n"
                        + "| p50 (runtime API event → response) | " + ms(percentile(micros.get(0), 50)) + " | " + ms(percentile(micros.get(1), 50)) + " |\n"
                        + "| p99 | " + ms(percentile(micros.get(0), 99)) + " | " + ms(percentile(micros.get(1), 99)) + " |\n"
                        + "| CPU time of the process per notification (user + system) | " + ms(cpu[0] * 1000 / WARM_MESSAGES) + " | "
                        + ms(cpu[1] * 1000 / WARM_MESSAGES) + " |\n";
            } finally {
                NodeRelayBenchmark.stopAndWait(node.get());
            }
        }
    }

    /** {@code -Dbenchmark.pipelining=false}: the SMTP server stops offering PIPELINING (RFC 2920), as a few servers do not. */
    private static final boolean PIPELINING = !"false".equals(System.getProperty("benchmark.pipelining"));

    /** {@code -Dbenchmark.html-rows=N}: the warm path's HTML shaped like a stock Auth0 template of N rows (Relay.templateHtml) instead of the fixture's one line. */
    private static final int HTML_ROWS = Integer.getInteger("benchmark.html-rows", 0);

    private static Map<String, Object> warmNotification() {
        Map<String, Object> n = Relay.notification();
        if (HTML_ROWS > 0) {
            n.put("html", Relay.templateHtml(HTML_ROWS).replace("</body>", "<!-- " + System.nanoTime() + " --></body>"));
        }
        return n;
    }

    /**
     * The warm path through {@code runtime}, whatever function polls it (process {@code pid}): after
     * WARM_UP notifications, {@code messages} more timed from the event handed out to the response,
     * the SMTP connections they opened, the same path refused with a 400, and the peak RSS. The
     * NodeRelayBenchmark measures the Node.js relay with it too.
     */
    static String warmPath(LambdaRuntimeStandIn runtime, TestSmtpServer smtp, int messages, long pid, String title) throws Exception {
        for (int i = 0; i < WARM_UP; i++) {
            runtime.invoke(PackagedFunctionIT.event(warmNotification()), Duration.ofSeconds(14)).get(60, TimeUnit.SECONDS);
        }
        // The server's checks compiled on this relay's own message, whichever relay runs first.
        List<TestSmtpServer.Received> sample = smtp.received();
        TestSmtpServer.warmUp(sample.get(sample.size() - 1).data(), 5_000);
        int connectionsBefore = smtp.connections();
        long cpuBefore = cpuMillis(pid);
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            micros.add(deliverOne(runtime));
        }
        int smtpConnections = smtp.connections() - connectionsBefore;
        long cpu = cpuMillis(pid) - cpuBefore;
        // The same path stopped after the signature, JSON and validation (a 400): Lambda and
        // Quarkus plumbing plus the checks, without SMTP, so the SMTP share is a difference too.
        List<Long> refused = new ArrayList<>();
        for (int i = 0; i < WARM_UP + messages / 4; i++) {
            Map<String, Object> bad = Relay.notification();
            bad.put("to", "not an address");
            String event = PackagedFunctionIT.event(bad);
            long start = System.nanoTime();
            var done = runtime.invoke(event, Duration.ofSeconds(14)).get(60, TimeUnit.SECONDS);
            if (i >= WARM_UP) {
                refused.add((System.nanoTime() - start) / 1000);
            }
            if (!done.response().contains("\"statusCode\":400")) {
                throw new IllegalStateException("not refused: " + done.response());
            }
        }
        return "| " + title + ": " + messages + " notifications" + (HTML_ROWS > 0 ? " with an HTML part of " + HTML_ROWS + " template rows" : "")
                + ", one instance (after " + WARM_UP + " warm-up) | value |\n|---|---|\n"
                + "| p50 (runtime API event → response) | " + ms(percentile(micros, 50)) + " |\n"
                + "| p99 | " + ms(percentile(micros, 99)) + " |\n"
                + "| same path refused before SMTP (400, " + refused.size() + " invocations): p50 / p99 | "
                + ms(percentile(refused, 50)) + " / " + ms(percentile(refused, 99)) + " |\n"
                + "| CPU time of the function process per notification (user + system) | " + ms(cpu * 1000 / messages) + " |\n"
                + "| SMTP connections opened | " + smtpConnections + " |\n"
                + "| peak RSS of the function process (VmHWM) | " + status(pid, "VmHWM:") / 1024 + " MB |\n";
    }

    /** The same messages over one open, authenticated STARTTLS connection from a plain client. */
    private static String floor(TestSmtpServer smtp, SmtpServerResource.Certificates certs) throws Exception {
        SSLContext context = clientTls(certs);
        // The relay's own last message (what the server just parsed for it), or a plain one.
        List<TestSmtpServer.Received> received = smtp.received();
        byte[] mime = received.isEmpty()
                ? ("From: noreply@mail.example.com\r\nTo: jane.doe@example.org\r\nSubject: Verify your email\r\n"
                        + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
                        + ((String) Relay.notification().get("text")).replace("\n", "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII)
                : received.get(received.size() - 1).data();
        return floor(smtp, context, mime, false) + "\n" + floor(smtp, context, mime, true);
    }

    private static String floor(TestSmtpServer smtp, SSLContext context, byte[] message, boolean lineByLine) throws Exception {
        byte[] mime = java.util.Arrays.copyOf(message, message.length + 3);
        System.arraycopy(".\r\n".getBytes(StandardCharsets.US_ASCII), 0, mime, message.length, 3);
        try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), smtp.port())) {
            Smtp c = Smtp.signIn(plain, context, "floor");
            List<Long> micros = new ArrayList<>();
            for (int m = 0; m < WARM_UP + WARM_MESSAGES; m++) {
                long start = System.nanoTime();
                c.cmd("RSET", 250);
                c.cmd("MAIL FROM:<relay@mail.example.com>", 250);
                c.cmd("RCPT TO:<jane.doe@example.org>", 250);
                c.cmd("DATA", 354);
                if (lineByLine) { // as Vert.x mail wrote a body before smtp.WriteBatching: one TLS record per line
                    for (int from = 0, to; from < mime.length; from = to) {
                        to = indexOf(mime, (byte) '\n', from) + 1;
                        c.out.write(mime, from, to - from);
                        c.out.flush();
                    }
                } else {
                    c.out.write(mime);
                    c.out.flush();
                }
                c.expect(250);
                if (m >= WARM_UP) {
                    micros.add((System.nanoTime() - start) / 1000);
                }
            }
            c.cmd("QUIT", 221);
            return "| floor: the same messages over one open SMTP connection, plain client" + (lineByLine ? ", a write per line" : "")
                    + " (" + message.length + " octets) | value |\n|---|---|\n"
                    + "| p50 | " + ms(percentile(micros, 50)) + " |\n| p99 | " + ms(percentile(micros, 99)) + " |\n";
        }
    }

    /** A client TLS context that trusts the test server's CA. */
    private static SSLContext clientTls(SmtpServerResource.Certificates certs) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        try (var in = Files.newInputStream(certs.ca())) {
            for (var cert : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca" + i++, cert);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return bytes.length - 1;
    }

    private static final class Smtp {
        final BufferedReader in;
        final OutputStream out;

        Smtp(Socket s) throws IOException {
            in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            out = s.getOutputStream();
        }

        /** Greeting, EHLO, STARTTLS (no Nagle, as Vert.x and the Node relay), EHLO and AUTH PLAIN on {@code plain}. */
        static Smtp signIn(Socket plain, SSLContext context, String helo) throws IOException {
            plain.setTcpNoDelay(true);
            Smtp c = new Smtp(plain);
            c.expect(220);
            c.cmd("EHLO " + helo, 250);
            c.cmd("STARTTLS", 220);
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
            tls.startHandshake();
            c = new Smtp(tls);
            c.cmd("EHLO " + helo, 250);
            c.cmd("AUTH PLAIN " + Base64.getEncoder().encodeToString(("\0" + TestSmtpServer.USERNAME + "\0" + TestSmtpServer.PASSWORD)
                    .getBytes(StandardCharsets.UTF_8)), 235);
            return c;
        }

        void cmd(String line, int expected) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            expect(expected);
        }

        void expect(int expected) throws IOException {
            String line;
            do {
                line = in.readLine();
            } while (line != null && line.length() > 3 && line.charAt(3) == '-');
            if (line == null || !line.startsWith(String.valueOf(expected))) {
                throw new IOException("expected " + expected + ", got " + line);
            }
        }
    }

    static long median(List<Long> values) {
        return percentile(values, 50);
    }

    static long percentile(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    static String ms(long micros) {
        return String.format("%.2f ms", micros / 1000.0);
    }
}
