package dev.lowrank.data.internal;

import java.util.Optional;

/**
 * What the readers accept as a class label: an integer from 0 up to {@link #MAX}. Labels are read
 * as float32 like every other value, which holds each integer up to 2^24 exactly; a larger label
 * could be silently changed into another one (and beyond 2^31 used to be clamped to 2147483647), so
 * it is refused as out of range.
 */
final class Labels {

  /** The largest class index the readers accept, 2^24 - 1. */
  static final int MAX = (1 << 24) - 1;

  private Labels() {}

  /**
   * Says what is wrong with a label value, if anything.
   *
   * @param v the value as read
   * @return the problem, a predicate such as {@code is out of range ...}; empty for a class index
   */
  static Optional<String> problem(float v) {
    if (v != Math.rint(v) || v < 0) {
      return Optional.of("is not a class index (an integer from 0)");
    }
    if (v > MAX) {
      return Optional.of("is out of range: a class index is at most " + MAX);
    }
    return Optional.empty();
  }
}
