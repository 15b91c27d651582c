package dev.inbox.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A program a test runs from the PATH ({@code redis-server}, {@code redis-cli}, {@code haproxy}), looked up before it
 * is started: when it is missing the test fails at once with one line naming the Debian package that provides it,
 * instead of a raw {@code IOException} from {@code ProcessBuilder}, or a wait for a port that never opens.
 */
public final class ExternalProgram {
    private ExternalProgram() {}

    /**
     * The executable {@code program} found on the PATH.
     *
     * @param debianPackage the package that installs it (e.g. {@code redis-tools} for {@code redis-cli})
     * @throws AssertionError {@code "<program> not found on PATH: apt-get install <package>"} when it is not there
     */
    public static Path require(String program, String debianPackage) {
        Path found = find(program, System.getenv("PATH"));
        if (found == null) {
            throw new AssertionError(program + " not found on PATH: apt-get install " + debianPackage);
        }
        return found;
    }

    /** The first executable {@code program} in the directories of {@code path}, or null. */
    static Path find(String program, String path) {
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
