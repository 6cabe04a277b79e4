package dev.lowrank.format.torchscript.internal.code;

/**
 * One statement of a class body, with the physical lines it covers, so that a class can be
 * rewritten member by member with everything lowrank does not touch copied as it was.
 *
 * @param kind what the member is
 * @param name the attribute or method name, empty for other members
 * @param firstLine the first 0-based physical line
 * @param endLine the physical line after its last line
 */
public record Member(Member.Kind kind, String name, int firstLine, int endLine) {

  /** Member kinds. */
  public enum Kind {
    /** {@code __parameters__ = [...]}. */
    PARAMETERS,
    /** {@code __buffers__ = [...]}. */
    BUFFERS,
    /** An attribute declaration. */
    ATTRIBUTE,
    /** A method. */
    METHOD,
    /** Anything else, copied as it is. */
    OTHER
  }
}
