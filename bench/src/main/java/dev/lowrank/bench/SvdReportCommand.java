package dev.lowrank.bench;

import java.nio.file.Path;
import java.util.Optional;

/** The command line of {@link SvdReport#main}. */
final class SvdReportCommand {

  static final String USAGE =
      String.join(
          "\n",
          "usage: SvdReport [--json] [--check] [--no-torch | --python PATH] [--threads N]",
          "                 [--torch-threads N] [--runs N] [--exact-runs N] [--rank N] [--seed N]",
          "  --json        print JSON instead of a table",
          "  --check       exit 1 when a ratio misses its target",
          "  --no-torch    skip the PyTorch reference",
          "  --python      the interpreter with torch (default /usr/bin/python3)",
          "  --threads     OpenBLAS threads (default: OpenBLAS's current)",
          "  --torch-threads  torch threads; 0 keeps torch's default (default: as --threads)",
          "  --runs        timed runs of each randomized SVD (default 5)",
          "  --exact-runs  timed runs of each exact SVD (default 3)",
          "  --rank        rank of the fixed-rank factorizations (default 128)",
          "  --seed        seed of the matrices and sketches (default 42)");

  private SvdReportCommand() {}

  /**
   * The parsed command line.
   *
   * @param options what to measure
   * @param json whether to print JSON
   * @param check whether a missed target fails the run
   * @param help whether only the usage was asked for
   */
  record Parsed(SvdReport.Options options, boolean json, boolean check, boolean help) {}

  /**
   * Parses the arguments.
   *
   * @throws IllegalArgumentException naming a bad or unknown argument
   */
  static Parsed parse(String[] args) {
    SvdReport.Options defaults = SvdReport.Options.defaults();
    int rank = defaults.rank();
    int runs = defaults.runs();
    int exactRuns = defaults.exactRuns();
    int threads = defaults.blasThreads();
    int torchThreads = -1;
    Optional<Path> python = defaults.python();
    long seed = defaults.seed();
    boolean json = false;
    boolean check = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--json" -> json = true;
        case "--check" -> check = true;
        case "--no-torch" -> python = Optional.empty();
        case "--help", "-h" -> {
          return new Parsed(defaults, false, false, true);
        }
        case "--python" -> python = Optional.of(Path.of(value(args, ++i, arg)));
        case "--threads" -> threads = number(args, ++i, arg);
        case "--torch-threads" -> torchThreads = number(args, ++i, arg);
        case "--runs" -> runs = number(args, ++i, arg);
        case "--exact-runs" -> exactRuns = number(args, ++i, arg);
        case "--rank" -> rank = number(args, ++i, arg);
        case "--seed" -> seed = Long.parseLong(value(args, ++i, arg));
        default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
      }
    }
    return new Parsed(
        new SvdReport.Options(
            rank,
            runs,
            exactRuns,
            threads,
            torchThreads < 0 ? threads : torchThreads,
            python,
            seed),
        json,
        check,
        false);
  }

  private static String value(String[] args, int index, String option) {
    if (index >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[index];
  }

  private static int number(String[] args, int index, String option) {
    String text = value(args, index, option);
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a whole number, got '" + text + "'", e);
    }
  }
}
