package dev.lowrank.eval.gate;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The outcome of the CI gate: every check and whether all passed. The CLI exits 0 when {@link
 * #passed()}, 1 otherwise (2 is for bad input, which never gets this far).
 *
 * @param checks the checks, in the order made
 */
public record GateVerdict(List<GateCheck> checks) {

  /** Copies the list. */
  public GateVerdict {
    checks = List.copyOf(checks);
    if (checks.isEmpty()) {
      throw new IllegalArgumentException("A gate verdict needs at least one check");
    }
  }

  /**
   * Returns whether every check passed.
   *
   * @return {@code true} when the compressed model is within every limit
   */
  public boolean passed() {
    return checks.stream().allMatch(GateCheck::passed);
  }

  /**
   * Returns the checks that failed.
   *
   * @return the failures, possibly empty
   */
  public List<GateCheck> failures() {
    return checks.stream().filter(c -> !c.passed()).toList();
  }

  /**
   * Returns one line per check, each saying within or past the limit and by how much.
   *
   * @return the summary
   */
  public String summary() {
    return checks.stream().map(GateCheck::message).collect(Collectors.joining("\n"));
  }
}
