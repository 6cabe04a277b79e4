package dev.lowrank.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The boundaries of lowrank's architecture, held by a test instead of by habit: model formats sit
 * below the compressor, packages form no cycles, no module reaches into another module's {@code
 * internal} packages, the runtime a service needs stays free of the compressor's native stack, and
 * every package says what it is for.
 *
 * <p>It imports the main classes of every module (the cli module's test classpath holds them all)
 * and tells modules apart by the folder their classes were compiled to ({@code <module>/target/
 * classes}, or a {@code lowrank-<module>-<version>.jar}).
 */
class ArchitectureTest {

  private static final Pattern MODULE_DIR = Pattern.compile("/([a-z-]+)/target/classes/");
  private static final Pattern MODULE_JAR = Pattern.compile("/lowrank-([a-z-]+)-[0-9][^/]*\\.jar");

  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("-tests.jar"))
            .withImportOption(location -> !location.contains("/jmh_generated/"))
            .importPackages("dev.lowrank");
    Set<String> modules = new TreeSet<>();
    for (JavaClass c : main) {
      module(c).ifPresent(modules::add);
    }
    assertEquals(
        Set.of(
            "bench",
            "cli",
            "compressor",
            "data",
            "datasets",
            "eval",
            "model-zoo-examples",
            "runtime",
            "service-example"),
        modules,
        "every module's classes are imported, so that the rules below see them");
  }

  @Test
  void modelFormatsSitBelowTheCompressor() {
    noClasses()
        .that()
        .resideInAPackage("dev.lowrank.format..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.lowrank.compress..")
        .because("a format speaks of layers, tensors, factors and manifest bytes only")
        .check(main);
  }

  @Test
  void fineTuningSitsBetweenTheFormatsAndTheCompressor() {
    noClasses()
        .that()
        .resideInAPackage("dev.lowrank.finetune..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.lowrank.compress..",
            "dev.lowrank.eval..",
            "dev.lowrank.zoo..",
            "dev.lowrank.cli..",
            "dev.lowrank.bench..")
        .because("fine-tuning works on any factors, below the compressor that runs it")
        .check(main);
    noClasses()
        .that()
        .resideInAnyPackage("dev.lowrank.format..", "dev.lowrank.linalg..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.lowrank.finetune..")
        .check(main);
  }

  @Test
  void topLevelPackagesFormNoCycles() {
    slices().matching("dev.lowrank.(*)..").should().beFreeOfCycles().check(main);
  }

  @Test
  void formatsAndEvaluationPartsFormNoCycles() {
    slices().matching("dev.lowrank.format.(*)..").should().beFreeOfCycles().check(main);
    slices().matching("dev.lowrank.eval.(*)..").should().beFreeOfCycles().check(main);
  }

  @Test
  void noModuleImportsAnotherModulesInternals() {
    classes().should(useOnlyTheirOwnModulesInternals()).check(main);
  }

  @Test
  void theRuntimeNeedsNoCompressorNativesOrRewriting() {
    noClasses()
        .that()
        .resideInAPackage("dev.lowrank.runtime..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.bytedeco..",
            "org.nd4j..",
            "dev.lowrank.compress..",
            "dev.lowrank.format..",
            "dev.lowrank.linalg..",
            "dev.lowrank.data..",
            "dev.lowrank.eval..")
        .check(main);
  }

  @Test
  void theServiceExampleNeedsOnlyTheRuntime() {
    noClasses()
        .that()
        .resideInAPackage("dev.lowrank.service..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.bytedeco..",
            "org.nd4j..",
            "dev.lowrank.compress..",
            "dev.lowrank.format..",
            "dev.lowrank.linalg..",
            "dev.lowrank.eval..",
            "dev.lowrank.zoo..")
        .check(main);
  }

  @Test
  void layersPointDown() {
    ArchRule dataAndIo =
        noClasses()
            .that()
            .resideInAnyPackage("dev.lowrank.data..", "dev.lowrank.io..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "dev.lowrank.compress..",
                "dev.lowrank.format..",
                "dev.lowrank.linalg..",
                "dev.lowrank.runtime..",
                "dev.lowrank.eval..",
                "dev.lowrank.zoo..",
                "dev.lowrank.cli..");
    dataAndIo.check(main);
    // The data module reads raw text through DJL's Hugging Face tokenizers (its jar carries the
    // native library), and uses nothing else of DJL; dev.lowrank.io uses none of it.
    noClasses()
        .that()
        .resideInAPackage("dev.lowrank.data..")
        .should()
        .dependOnClassesThat(
            JavaClass.Predicates.resideInAPackage("ai.djl..")
                .and(
                    DescribedPredicate.not(
                        JavaClass.Predicates.resideInAPackage("ai.djl.huggingface.."))))
        .check(main);
    noClasses()
        .that()
        .resideInAPackage("dev.lowrank.io..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("ai.djl..")
        .check(main);
    noClasses()
        .that()
        .resideInAPackage("dev.lowrank.linalg..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.lowrank.compress..", "dev.lowrank.format..", "dev.lowrank.eval..", "ai.djl..")
        .check(main);
    noClasses()
        .that()
        .resideInAnyPackage("dev.lowrank.compress..", "dev.lowrank.format..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.lowrank.eval..", "dev.lowrank.zoo..", "dev.lowrank.cli..", "dev.lowrank.bench..")
        .check(main);
    noClasses()
        .that()
        .resideInAPackage("dev.lowrank.eval..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.lowrank.zoo..", "dev.lowrank.cli..", "dev.lowrank.bench..")
        .check(main);
  }

  @Test
  void everyPackageSaysWhatItIsFor() {
    Set<String> packages = new TreeSet<>();
    Set<String> documented = new TreeSet<>();
    for (JavaClass c : main) {
      packages.add(c.getPackageName());
      if (c.getSimpleName().equals("package-info")) {
        documented.add(c.getPackageName());
      }
    }
    packages.removeAll(documented);
    assertTrue(packages.isEmpty(), "packages without a package-info.java: " + packages);
  }

  private static ArchCondition<JavaClass> useOnlyTheirOwnModulesInternals() {
    return new ArchCondition<>("use internal packages of their own module only") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        Optional<String> own = module(item);
        for (Dependency d : item.getDirectDependenciesFromSelf()) {
          JavaClass target = d.getTargetClass();
          if (!target.getPackageName().startsWith("dev.lowrank.")
              || !target.getPackageName().matches(".*\\.internal(\\..*)?")) {
            continue;
          }
          Optional<String> theirs = module(target);
          if (own.isPresent() && theirs.isPresent() && !own.equals(theirs)) {
            events.add(
                SimpleConditionEvent.violated(
                    d,
                    item.getName()
                        + " (module "
                        + own.get()
                        + ") uses "
                        + target.getName()
                        + ", an internal class of module "
                        + theirs.get()));
          }
        }
      }
    };
  }

  private static Optional<String> module(JavaClass c) {
    return c.getSource()
        .map(s -> s.getUri().toString())
        .flatMap(
            uri -> {
              Matcher dir = MODULE_DIR.matcher(uri);
              if (dir.find()) {
                return Optional.of(dir.group(1));
              }
              Matcher jar = MODULE_JAR.matcher(uri);
              return jar.find() ? Optional.of(jar.group(1)) : Optional.empty();
            });
  }
}
