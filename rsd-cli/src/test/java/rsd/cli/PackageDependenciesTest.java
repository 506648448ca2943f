package rsd.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packages of all four modules (this module sees them all) depend on each other one way: no
 * package reaches, directly or through others, back to itself; the library packages stay clear of the
 * server, the commands and the libraries only the commands need; the decode loop knows no drafter.
 */
class PackageDependenciesTest {
    /** The packages of rsd-core. */
    private static final String[] CORE = {"rsd", "rsd.error", "rsd.gguf", "rsd.tensor", "rsd.model", "rsd.tokenizer",
        "rsd.metrics", "rsd.decode", "rsd.draft..", "rsd.bench"};

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        // The main classes only, from folders or jars (the core's test fixtures come as a "-tests" jar).
        ImportOption mainOnly = location -> !location.contains("/test-classes/")
                && !location.matches(Pattern.compile(".*-tests\\.jar.*"));
        classes = new ClassFileImporter().withImportOption(mainOnly).importPackages("rsd");
    }

    /** One slice per package (ArchUnit's patterns cannot name the root package and its children apart). */
    private static final SliceAssignment BY_PACKAGE = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            return SliceIdentifier.of(javaClass.getPackageName());
        }

        @Override
        public String getDescription() {
            return "packages of rsd";
        }
    };

    @Test
    void everyModuleIsImported() {
        // Without the classes the rules below would hold vacuously.
        for (String name : new String[] {"rsd.SpeculativeDecoding", "rsd.decode.Decoder", "rsd.draft.rules.Rules",
            "rsd.server.OpenAiServer", "rsd.cli.Main", "rsd.report.BenchReport"}) {
            assertThat(classes.contain(name)).as(name).isTrue();
        }
    }

    @Test
    void noPackageCircles() {
        slices().assignedFrom(BY_PACKAGE).should().beFreeOfCycles().check(classes);
    }

    @Test
    void coreStaysALibrary() {
        noClasses().that().resideInAnyPackage(CORE).should().dependOnClassesThat()
                .resideInAnyPackage("rsd.server..", "rsd.cli..", "rsd.report..", "picocli..", "org.jfree..")
                .check(classes);
    }

    @Test
    void serverNeedsNoCommands() {
        noClasses().that().resideInAPackage("rsd.server..").should().dependOnClassesThat()
                .resideInAnyPackage("rsd.cli..", "rsd.report..", "picocli..", "org.jfree..")
                .check(classes);
    }

    @Test
    void draftersPlugIntoTheDecodeLoop() {
        noClasses().that().resideInAnyPackage("rsd.decode", "rsd.metrics", "rsd.model", "rsd.tokenizer", "rsd.tensor",
                "rsd.gguf", "rsd.error").should().dependOnClassesThat().resideInAnyPackage("rsd.draft..", "rsd")
                .check(classes);
    }
}
