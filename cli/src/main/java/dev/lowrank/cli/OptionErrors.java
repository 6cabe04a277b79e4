package dev.lowrank.cli;

import java.util.function.Supplier;

/** Misuse messages that name the option whose value was wrong. */
final class OptionErrors {

  private OptionErrors() {}

  /**
   * Computes a value from an option, prefixing a misuse message with the option's name.
   *
   * @param option the option, e.g. {@code --rank}
   * @param value computes the value
   * @param <T> the value's type
   * @return the value
   * @throws IllegalArgumentException {@code option: message} if the value is invalid
   */
  static <T> T named(String option, Supplier<T> value) {
    try {
      return value.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }
}
