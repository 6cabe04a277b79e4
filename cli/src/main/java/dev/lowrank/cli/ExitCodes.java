package dev.lowrank.cli;

/**
 * The exit codes every lowrank command uses: 0 success, 1 a failed check, 2 bad input or usage, 3
 * an internal error (a bug).
 */
public final class ExitCodes {

  /** Success. */
  public static final int OK = 0;

  /** A check failed: the accuracy drop passed its threshold (the CI gate). */
  public static final int CHECK_FAILED = 1;

  /**
   * Bad input or usage: a missing or invalid file, an invalid option, an output that would
   * overwrite an input, a native library that cannot be loaded (an unwritable cache directory).
   */
  public static final int BAD_INPUT = 2;

  /**
   * An internal error: a bug in lowrank or a library, not the input's fault (a {@code
   * NullPointerException}, an {@code IllegalStateException}, an {@code AssertionError}...). The
   * message says to run again with {@code --verbose} for the stack trace.
   */
  public static final int INTERNAL_ERROR = 3;

  private ExitCodes() {}
}
