package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.zoo.ZooRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Every command and subcommand parses its arguments without running (jbang's habit): the command
 * line is built as {@code lowrank} builds it, {@code parseArgs} fills the command object, and the
 * test asserts on its fields and on what they map to. Nothing is read, trained or written.
 */
class CommandParsingTest {

  /** Parses a full command line and returns the innermost command object. */
  private static <T> T parse(Class<T> type, String... args) {
    ParseResult last = Main.commandLine().parseArgs(args);
    while (last.hasSubcommand()) {
      last = last.subcommand();
    }
    return type.cast(last.commandSpec().userObject());
  }

  @Test
  void lowrank() {
    CommandLine cli = Main.commandLine();
    cli.parseArgs("--verbose");
    assertTrue(((LowrankCommand) cli.getCommand()).verbose);
    CommandLine plain = Main.commandLine();
    ParseResult version = plain.parseArgs("--version");
    assertTrue(version.isVersionHelpRequested());
    assertFalse(((LowrankCommand) plain.getCommand()).verbose);
  }

  static Stream<Arguments> verbosePositions() {
    return Stream.of(
        Arguments.of((Object) new String[] {"--verbose", "inspect", "--model", "m.pt"}),
        Arguments.of((Object) new String[] {"inspect", "--model", "m.pt", "--verbose"}),
        Arguments.of((Object) new String[] {"compress", "--verbose", "--model", "m", "--out", "o"}),
        Arguments.of((Object) new String[] {"zoo", "--verbose", "list"}),
        Arguments.of((Object) new String[] {"zoo", "list", "--verbose"}),
        Arguments.of((Object) new String[] {"--verbose", "zoo", "table"}));
  }

  @ParameterizedTest
  @MethodSource("verbosePositions")
  void verboseIsInheritedBeforeOrAfterTheSubcommand(String[] args) {
    CommandLine cli = Main.commandLine();
    cli.parseArgs(args);
    assertTrue(((LowrankCommand) cli.getCommand()).verbose, String.join(" ", args));
  }

  @Test
  void demo() {
    assertInstanceOf(DemoCommand.class, parse(DemoCommand.class, "demo"));
    assertThrows(
        CommandLine.UnmatchedArgumentException.class, () -> parse(DemoCommand.class, "demo", "x"));
  }

  @Test
  void inspect() {
    InspectCommand cmd = parse(InspectCommand.class, "inspect", "--model", "models/mlp");
    assertEquals(Path.of("models/mlp"), cmd.model);
    assertThrows(
        CommandLine.MissingParameterException.class, () -> parse(InspectCommand.class, "inspect"));
  }

  @Test
  void compressWithAPolicy() {
    CompressCommand cmd =
        parse(
            CompressCommand.class,
            "compress",
            "--model",
            "m.pt",
            "--out",
            "o.pt",
            "--ratio",
            "0.25",
            "--scope",
            "global",
            "--layer",
            "fc3=dense",
            "--svd",
            "randomized",
            "--seed",
            "7",
            "--threads",
            "2",
            "--report",
            "r.json");
    assertEquals(Path.of("m.pt"), cmd.model);
    assertEquals(Path.of("o.pt"), cmd.out);
    assertEquals(Path.of("r.json"), cmd.report);
    assertTrue(cmd.setting.maxAccuracyDrop().isEmpty());
    assertFalse(cmd.data.present());
    CompressionSpec spec = cmd.compression.spec(cmd.setting.policy());
    assertEquals(RankPolicy.ratio(0.25), spec.policy());
    assertEquals("global", spec.settings().get("scope"));
    assertEquals("fc3=dense", spec.settings().get("rules"));
    assertEquals("randomized", spec.settings().get("svd"));
    assertEquals(7, spec.seed());
    assertEquals(2, spec.threads());

    assertEquals(
        RankPolicy.rank(16),
        parse(CompressCommand.class, "compress", "--model", "m", "--out", "o", "--rank", "16")
            .setting
            .policy());
    assertEquals(
        RankPolicy.energy(0.9),
        parse(CompressCommand.class, "compress", "--model", "m", "--out", "o", "--energy", "0.9")
            .setting
            .policy());
  }

  @Test
  void compressWithASearch() {
    CompressCommand cmd =
        parse(
            CompressCommand.class,
            "compress",
            "--model",
            "m.pt",
            "--out",
            "o.pt",
            "--max-accuracy-drop",
            "0.01",
            "--data",
            "holdout.csv",
            "--label-column",
            "y",
            "--input-shape",
            "1x8x8");
    assertEquals(0.01, cmd.setting.maxAccuracyDrop().getAsDouble());
    assertFalse(cmd.setting.hasPolicy());
    assertEquals(Path.of("holdout.csv"), cmd.data.file().orElseThrow());
    assertEquals("1x8x8", cmd.data.inputShape);
    assertEquals("y", cmd.data.labelColumn);
  }

  @Test
  void compressTakesOneSettingAndNamesTheOptionOfABadValue() {
    assertThrows(
        CommandLine.MutuallyExclusiveArgsException.class,
        () ->
            parse(
                CompressCommand.class,
                "compress",
                "--model",
                "m",
                "--out",
                "o",
                "--rank",
                "4",
                "--max-accuracy-drop",
                "0.1"));
    CompressCommand cmd =
        parse(
            CompressCommand.class,
            "compress",
            "--model",
            "m",
            "--out",
            "o",
            "--rank",
            "0",
            "--threads",
            "0",
            "--layer",
            "junk",
            "--scope",
            "global");
    assertMessageStarts("--rank: ", () -> cmd.setting.policy());
    assertMessageStarts("--layer: ", () -> cmd.compression.spec(RankPolicy.energy(0.9)));
    cmd.compression.rules.clear();
    assertMessageStarts("--threads: ", () -> cmd.compression.spec(RankPolicy.energy(0.9)));
    cmd.compression.threads = null;
    assertMessageStarts("--scope global: ", () -> cmd.compression.spec(RankPolicy.rank(4)));
    CompressCommand search =
        parse(
            CompressCommand.class,
            "compress",
            "--model",
            "m",
            "--out",
            "o",
            "--max-accuracy-drop",
            "2");
    assertMessageStarts("--max-accuracy-drop: ", () -> search.setting.maxAccuracyDrop());
  }

  @Test
  void eval() {
    EvalCommand cmd =
        parse(
            EvalCommand.class,
            "eval",
            "--model",
            "m.pt",
            "--compressed",
            "c.pt",
            "--data",
            "digits",
            "--no-labels",
            "--batch-sizes",
            "1,32",
            "--max-accuracy-drop",
            "0.02",
            "--junit-xml",
            "j.xml",
            "--report",
            "e.json",
            "--report",
            "e.html");
    assertEquals(Path.of("m.pt"), cmd.model);
    assertEquals(Path.of("c.pt"), cmd.compressed);
    assertTrue(cmd.data.present());
    assertTrue(cmd.data.file().isEmpty(), "'digits' names the bundled split, not a file");
    assertTrue(cmd.data.unlabeled);
    assertEquals(List.of(1, 32), cmd.latency.batchSizes());
    assertEquals(0.02, cmd.maxDrop);
    assertEquals(Path.of("j.xml"), cmd.junitXml);
    assertEquals(List.of(Path.of("e.json"), Path.of("e.html")), cmd.reports.files());

    EvalCommand defaults =
        parse(EvalCommand.class, "eval", "--model", "m", "--compressed", "c", "--no-latency");
    assertEquals(List.of(), defaults.latency.batchSizes());
    assertEquals(List.of(1, 8, 64), defaults.latency.batchSizes);
  }

  @Test
  void evalRefusesBatchSizesOutOfRange() {
    for (String sizes : new String[] {"1000000000", "0", "8,-1", "65537"}) {
      EvalCommand cmd =
          parse(
              EvalCommand.class,
              "eval",
              "--model",
              "m",
              "--compressed",
              "c",
              "--batch-sizes",
              sizes);
      assertMessageStarts("--batch-sizes: ", () -> cmd.latency.batchSizes());
    }
    EvalCommand largest =
        parse(
            EvalCommand.class,
            "eval",
            "--model",
            "m",
            "--compressed",
            "c",
            "--batch-sizes",
            "65536");
    assertEquals(List.of(65_536), largest.latency.batchSizes());
  }

  @Test
  void sweep() {
    SweepCommand cmd =
        parse(
            SweepCommand.class,
            "sweep",
            "--model",
            "m.pt",
            "--data",
            "digits",
            "--ranks",
            "4,8,16",
            "--svd",
            "exact",
            "--layer",
            "fc3=dense",
            "--report",
            "s.html");
    assertEquals(
        List.of(RankPolicy.rank(4), RankPolicy.rank(8), RankPolicy.rank(16)),
        cmd.settings.policies());
    CompressionSpec spec = cmd.compression.spec(RankPolicy.rank(4));
    assertEquals("exact", spec.settings().get("svd"));
    assertEquals("fc3=dense", spec.settings().get("rules"));
    assertEquals(List.of(Path.of("s.html")), cmd.reports.files());
    assertEquals(
        List.of(RankPolicy.energy(0.8), RankPolicy.energy(0.99)),
        parse(SweepCommand.class, "sweep", "--model", "m", "--energies", "0.8,0.99")
            .settings
            .policies());
    SweepCommand bad = parse(SweepCommand.class, "sweep", "--model", "m", "--ratios", "0.5,1.5");
    assertMessageStarts("--ratios: ", () -> bad.settings.policies());
  }

  @Test
  void sweepRefusesTheSinglePolicyOptions() {
    for (String option : new String[] {"--rank", "--ratio", "--energy", "--max-accuracy-drop"}) {
      assertThrows(
          CommandLine.UnmatchedArgumentException.class,
          () -> parse(SweepCommand.class, "sweep", "--model", "m", "--ranks", "4", option, "0.5"),
          option);
    }
    assertThrows(
        CommandLine.MissingParameterException.class,
        () -> parse(SweepCommand.class, "sweep", "--model", "m"));
  }

  @Test
  void zoo() {
    assertInstanceOf(ZooCommand.class, parse(ZooCommand.class, "zoo"));
  }

  @Test
  void zooList() {
    assertInstanceOf(ZooListCommand.class, parse(ZooListCommand.class, "zoo", "list"));
  }

  @Test
  void zooRun() {
    ZooRunCommand cmd =
        parse(
            ZooRunCommand.class,
            "zoo",
            "run",
            "mlp-digits",
            "--rank",
            "16",
            "--no-latency",
            "--out",
            "kept",
            "--report",
            "r.json");
    assertEquals("mlp-digits", cmd.name);
    assertEquals(new ZooRunner.Setting.Policy(RankPolicy.rank(16)), cmd.chosen());
    assertEquals(List.of(), cmd.latency.batchSizes());
    assertEquals(Path.of("kept"), cmd.out);
    assertEquals(List.of(Path.of("r.json")), cmd.reports.files());
    assertEquals(
        new ZooRunner.Setting.Policy(RankPolicy.energy(0.9)),
        parse(ZooRunCommand.class, "zoo", "run", "mlp-digits").chosen());
    assertEquals(
        new ZooRunner.Setting.MaxDrop(0.02),
        parse(ZooRunCommand.class, "zoo", "run", "cnn-digits", "--max-accuracy-drop", "0.02")
            .chosen());
    ZooRunCommand bad = parse(ZooRunCommand.class, "zoo", "run", "x", "--energy", "2");
    assertMessageStarts("--energy: ", bad::chosen);
    assertThrows(
        CommandLine.MutuallyExclusiveArgsException.class,
        () -> parse(ZooRunCommand.class, "zoo", "run", "x", "--rank", "4", "--energy", "0.9"));
  }

  @Test
  void zooServe() {
    ZooServeCommand cmd =
        parse(
            ZooServeCommand.class,
            "zoo",
            "serve",
            "mlp-mnist",
            "--ratio",
            "0.2",
            "--threads",
            "3",
            "--requests",
            "10");
    assertEquals("mlp-mnist", cmd.name);
    assertEquals(RankPolicy.ratio(0.2), cmd.policy.policy());
    assertEquals(3, cmd.threads);
    assertEquals(10, cmd.requests);
    ZooServeCommand defaults =
        parse(ZooServeCommand.class, "zoo", "serve", "mlp-mnist", "--rank", "64");
    assertEquals(RankPolicy.rank(64), defaults.policy.policy());
    assertEquals(2, defaults.threads);
    assertEquals(2000, defaults.requests);
    assertThrows(
        CommandLine.MissingParameterException.class,
        () -> parse(ZooServeCommand.class, "zoo", "serve", "mlp-mnist"));
  }

  @Test
  void zooTable() {
    ZooTableCommand cmd =
        parse(
            ZooTableCommand.class,
            "zoo",
            "table",
            "--examples",
            "mlp-digits,cnn-digits",
            "--write",
            "README.md");
    assertEquals(List.of("mlp-digits", "cnn-digits"), cmd.names);
    assertEquals(Path.of("README.md"), cmd.write);
    assertNull(parse(ZooTableCommand.class, "zoo", "table").names);
  }

  @Test
  void bench() {
    BenchCommand cmd =
        parse(BenchCommand.class, "bench", "--svd", "--json", "--quick", "--no-reference");
    assertTrue(cmd.svd);
    assertFalse(cmd.forward);
    assertTrue(cmd.json);
    assertTrue(cmd.quick);
    assertTrue(cmd.noReference);
    assertEquals(Path.of("/usr/bin/python3"), cmd.python);
  }

  @Test
  void help() {
    CommandLine.HelpCommand cmd = parse(CommandLine.HelpCommand.class, "help", "compress");
    assertInstanceOf(CommandLine.HelpCommand.class, cmd);
  }

  private static void assertMessageStarts(String start, Runnable mapping) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, mapping::run);
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }
}
