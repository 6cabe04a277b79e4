package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** What {@code --help} shows for every command: each option once, and only the options it takes. */
class HelpTest {

  private static final Set<String> POLICY = Set.of("--rank", "--ratio", "--energy");
  private static final Set<String> COMPRESSION =
      Set.of("--scope", "--layer", "--svd", "--seed", "--threads");

  /** Every command and subcommand of {@code lowrank}, depth first. */
  private static List<CommandLine> commands() {
    List<CommandLine> all = new ArrayList<>();
    collect(Main.commandLine(), all);
    return all;
  }

  private static void collect(CommandLine cli, List<CommandLine> all) {
    all.add(cli);
    cli.getSubcommands().values().stream().distinct().forEach(c -> collect(c, all));
  }

  @Test
  void everyOptionIsListedOnceWithoutFormatWarnings() {
    PrintStream stderr = System.err;
    ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    List<CommandLine> commands = commands();
    assertTrue(commands.size() >= 13, "lowrank, 7 commands, zoo's 4, help: " + commands.size());
    try {
      System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
      for (CommandLine cli : commands) {
        String help = cli.getUsageMessage(CommandLine.Help.Ansi.OFF);
        String name = cli.getCommandSpec().qualifiedName();
        for (OptionSpec option : cli.getCommandSpec().options()) {
          if (option.hidden()) {
            continue;
          }
          String longest = option.longestName();
          Matcher listed = listing(longest).matcher(help);
          int count = 0;
          while (listed.find()) {
            count++;
          }
          assertEquals(
              1, count, name + " --help lists " + longest + " " + count + " times:\n" + help);
        }
      }
    } finally {
      System.setErr(stderr);
    }
    assertEquals("", warnings.toString(StandardCharsets.UTF_8));
  }

  @Test
  void onlyTheCommandsThatTakeThePolicyOptionsShowThem() {
    for (CommandLine cli : commands()) {
      String name = cli.getCommandSpec().qualifiedName();
      String help = cli.getUsageMessage(CommandLine.Help.Ansi.OFF);
      boolean takesPolicy =
          Set.of("lowrank compress", "lowrank zoo run", "lowrank zoo serve").contains(name);
      boolean takesCompression = Set.of("lowrank compress", "lowrank sweep").contains(name);
      for (String option : POLICY) {
        assertEquals(takesPolicy, offers(help, option), name + " and " + option + ":\n" + help);
      }
      for (String option : COMPRESSION) {
        if (name.equals("lowrank zoo serve") && option.equals("--threads")
            || name.equals("lowrank bench") && option.equals("--svd")) {
          continue; // their own options: serve's worker threads, bench's SVD report
        }
        assertEquals(
            takesCompression, offers(help, option), name + " and " + option + ":\n" + help);
      }
    }
  }

  @Test
  void sweepsUsageLineOffersOnlyWhatItTakes() {
    CommandLine sweep = Main.commandLine().getSubcommands().get("sweep");
    String usage =
        new CommandLine.Help(
                sweep.getCommandSpec(),
                CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF))
            .synopsis(0);
    assertTrue(usage.contains("--ranks=R[,R...]"), usage);
    for (String refused : new String[] {"--rank=", "--ratio=", "--energy=", "--max-accuracy"}) {
      assertFalse(usage.contains(refused), refused + " in " + usage);
    }
  }

  @Test
  void verboseIsInEveryCommandsHelp() {
    for (CommandLine cli : commands()) {
      assertTrue(
          offers(cli.getUsageMessage(CommandLine.Help.Ansi.OFF), "--verbose"),
          cli.getCommandSpec().qualifiedName());
    }
  }

  @Test
  void theTopLevelHelpListsTheInternalErrorExitCode() {
    CliRun help = CliRun.of("--help");
    assertEquals(0, help.exitCode());
    assertTrue(help.out().replaceAll("\\s+", " ").contains("3 an internal error"), help.out());
  }

  /** Whether the option list of a help text has the option (descriptions may name others). */
  private static boolean offers(String help, String option) {
    return listing(option).matcher(help).find();
  }

  /** An entry of picocli's option list: {@code " -h, --help"} or {@code " --data=DATA"}. */
  private static Pattern listing(String option) {
    return Pattern.compile("(?m)^(?:  -\\w, |      )" + Pattern.quote(option) + "(?=[=\\s,\\[]|$)");
  }
}
