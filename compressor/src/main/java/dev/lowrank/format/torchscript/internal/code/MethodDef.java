package dev.lowrank.format.torchscript.internal.code;

import java.util.List;
import java.util.Optional;

/**
 * A method of a class or a top-level function: its signature and its body's logical lines.
 *
 * @param name the method name
 * @param params its parameters, {@code self} first for methods
 * @param returnType the return annotation as written, if any
 * @param body the logical lines of the body
 * @param firstLine the 0-based physical line of {@code def}
 * @param endLine the physical line after its last line
 */
public record MethodDef(
    String name,
    List<Param> params,
    Optional<String> returnType,
    List<LogicalLine> body,
    int firstLine,
    int endLine) {

  /** Copies the lists. */
  public MethodDef {
    params = List.copyOf(params);
    body = List.copyOf(body);
  }
}
