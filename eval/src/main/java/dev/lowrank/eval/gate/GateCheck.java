package dev.lowrank.eval.gate;

import java.util.Locale;

/**
 * One check of the CI gate: a measured value against its limit ({@code value <= limit} passes).
 *
 * @param name a stable identifier, e.g. {@code accuracy-drop} (the JUnit test case name)
 * @param description what is measured, in words
 * @param value the measured value (a fraction for accuracy figures)
 * @param limit the largest value that passes
 */
public record GateCheck(String name, String description, double value, double limit) {

  /**
   * Returns whether the check passes.
   *
   * @return {@code value <= limit} (with a 1e-12 slack for rounding)
   */
  public boolean passed() {
    return value <= limit + 1e-12;
  }

  /**
   * Returns how far inside the limit the value is: positive when passing, negative by how much it
   * is past the limit.
   *
   * @return {@code limit - value}
   */
  public double margin() {
    return limit - value;
  }

  /**
   * Returns a one-line verdict with the numbers, in percentage points, e.g. {@code "accuracy-drop:
   * top-1 accuracy drop 2.50 pp is past the limit 1.00 pp by 1.50 pp"}.
   *
   * @return the message
   */
  public String message() {
    return String.format(
        Locale.ROOT,
        "%s: %s %.2f pp is %s the limit %.2f pp %s %.2f pp",
        name,
        description,
        100 * value,
        passed() ? "within" : "past",
        100 * limit,
        passed() ? "with a margin of" : "by",
        100 * Math.abs(margin()));
  }
}
