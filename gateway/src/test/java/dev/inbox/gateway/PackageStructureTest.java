package dev.inbox.gateway;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The packages follow a message down the tree (docs/architecture.md): no package depends on one that uses it. */
class PackageStructureTest {
    private static final JavaClasses GATEWAY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.inbox.gateway");

    @Test
    void packagesHaveNoCycles() {
        slices().matching("dev.inbox.gateway.(*)..").should().beFreeOfCycles().check(GATEWAY);
    }
}
