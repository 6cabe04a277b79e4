package dev.lowrank.cli;

import picocli.CommandLine.Option;

/** The {@code --verbose} option shared by all commands: print stack traces of failures. */
public final class VerboseOption {

  @Option(
      names = "--verbose",
      description = "Print the stack trace of a failure (for bug reports).")
  boolean verbose;
}
