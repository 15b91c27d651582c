package dev.inbox.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExternalProgramTest {
    @TempDir
    Path dir;

    @Test
    void aMissingProgramFailsAtOnceWithOneLineNamingItsPackage() {
        long start = System.nanoTime();
        AssertionError e = assertThrows(
                AssertionError.class, () -> ExternalProgram.require("inbox-no-such-program", "inbox-no-such-package"));
        assertEquals("inbox-no-such-program not found on PATH: apt-get install inbox-no-such-package", e.getMessage());
        assertTrue(System.nanoTime() - start < 1_000_000_000L, "no waiting");
    }

    @Test
    void aProgramOnThePathIsFound() {
        Path sh = ExternalProgram.require("sh", "dash");
        assertTrue(Files.isExecutable(sh), sh::toString);
    }

    @Test
    void onlyAnExecutableFileCounts() throws IOException {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Files.createDirectory(bin.resolve("a-directory"));
        Files.writeString(bin.resolve("not-executable"), "#!/bin/sh\n");
        Path tool = Files.writeString(bin.resolve("tool"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        String path = dir.resolve("absent") + java.io.File.pathSeparator + ":" + bin;

        assertEquals(tool, ExternalProgram.find("tool", path));
        assertNull(ExternalProgram.find("not-executable", path));
        assertNull(ExternalProgram.find("a-directory", path));
        assertNull(ExternalProgram.find("tool", null));
    }
}
