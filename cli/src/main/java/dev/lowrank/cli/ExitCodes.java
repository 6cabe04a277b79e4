package dev.lowrank.cli;

/** The exit codes every lowrank command uses. */
public final class ExitCodes {

  /** Success. */
  public static final int OK = 0;

  /** A check failed: the accuracy drop passed its threshold (the CI gate). */
  public static final int CHECK_FAILED = 1;

  /** Bad input or usage: a missing or invalid file, an invalid option. */
  public static final int BAD_INPUT = 2;

  private ExitCodes() {}
}
