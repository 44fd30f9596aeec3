package dev.mailrelay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * target/function.zip started as the managed Java runtime starts it: unzipped, with the Runtime
 * Interface Client as main class and the Quarkus handler as its argument.
 */
final class PackagedFunction implements AutoCloseable {

    static final String HANDLER = "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";

    private final Process process;

    private PackagedFunction(Process process) {
        this.process = process;
    }

    static PackagedFunction start(String runtimeApi, Map<String, String> env, Path log, List<String> jvmOptions) throws IOException {
        return start(ProcessHandle.current().info().command().orElse("java"), runtimeApi, env, log, jvmOptions);
    }

    /** The same, with another JDK's java launcher (the benchmark compares JDKs). */
    static PackagedFunction start(String java, String runtimeApi, Map<String, String> env, Path log, List<String> jvmOptions)
            throws IOException {
        Path root = unzip(Path.of("target", "function.zip"), Path.of("target", "function"));
        // As on Lambda: only the runtime client is on the class path; it loads the function from its
        // working directory (the task root and lib/*.jar) through its own class loader.
        String classpath = Path.of("target", "lambda-ric").toAbsolutePath() + "/*";
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, "com.amazonaws.services.lambda.runtime.api.client.AWSLambda", HANDLER));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toAbsolutePath().toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("RELAY_") || k.startsWith("SMTP_"));
        pb.environment().putAll(env);
        pb.environment().put("AWS_LAMBDA_RUNTIME_API", runtimeApi);
        pb.environment().put("AWS_LAMBDA_FUNCTION_NAME", "auth0-mail-relay");
        pb.environment().put("LAMBDA_TASK_ROOT", root.toString());
        return new PackagedFunction(pb.start());
    }

    static synchronized Path unzip(Path zip, Path target) throws IOException {
        if (Files.exists(target.resolve("lib")) && Files.getLastModifiedTime(target).compareTo(Files.getLastModifiedTime(zip)) >= 0) {
            return target.toAbsolutePath();
        }
        // Afresh: a file left from an older zip (a jar since removed) would hide a missing class.
        if (Files.exists(target)) {
            try (var walk = Files.walk(target)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        try (InputStream in = Files.newInputStream(zip); ZipInputStream entries = new ZipInputStream(in)) {
            for (ZipEntry entry; (entry = entries.getNextEntry()) != null;) {
                Path out = target.resolve(entry.getName()).normalize();
                if (!out.startsWith(target)) {
                    throw new IOException("zip entry outside the target: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(entries, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.setLastModifiedTime(target, Files.getLastModifiedTime(zip));
        return target.toAbsolutePath();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, as Lambda sends at shutdown, and waits for the exit (files written at exit are complete). */
    void stopAndWait() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    @Override
    public void close() {
        process.destroy();
    }
}
