package dev.mailrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A package per outside system, which never uses the root package: the root wires them, not the other way round. */
class PackageDependenciesTest {

    /** dev.mailrelay.Something (a root type), as opposed to dev.mailrelay.smtp.… and the like. */
    private static final Pattern ROOT_TYPE = Pattern.compile("dev\\.mailrelay\\.[A-Z]");

    @ParameterizedTest
    @ValueSource(strings = { "smtp", "idempotency", "aws", "oauth" })
    void neverUsesTheRootPackage(String pkg) throws Exception {
        List<Path> sources;
        try (Stream<Path> files = Files.list(Path.of("src/main/java/dev/mailrelay", pkg))) {
            sources = files.filter(f -> f.toString().endsWith(".java")).toList();
        }
        assertThat(sources).isNotEmpty();
        for (Path source : sources) {
            List<String> uses = Files.readAllLines(source).stream().filter(line -> ROOT_TYPE.matcher(line).find()).toList();
            assertThat(uses).as("%s uses the root package", source).isEmpty();
        }
    }
}
