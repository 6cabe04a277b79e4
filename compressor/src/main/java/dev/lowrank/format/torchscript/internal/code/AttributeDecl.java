package dev.lowrank.format.torchscript.internal.code;

import java.util.Optional;

/**
 * An attribute declared in a class body: {@code name : Type}, {@code name : Final[T] = value}, or
 * {@code __annotations__["0"] = Type} for names that are not identifiers.
 *
 * @param name the attribute name
 * @param type the type as written
 * @param value the constant value as written, for {@code Final} constants
 * @param annotationsForm whether it is declared through {@code __annotations__[...]}
 * @param line the 0-based physical line of the declaration
 * @param indent the declaration's indentation
 */
public record AttributeDecl(
    String name,
    String type,
    Optional<String> value,
    boolean annotationsForm,
    int line,
    int indent) {

  /**
   * Returns the declaration as a source line with another type.
   *
   * @param newType the type to declare
   * @return the line, without a line break
   */
  public String withType(String newType) {
    String pad = " ".repeat(indent);
    if (annotationsForm) {
      return pad + "__annotations__[" + CodeText.quote(name) + "] = " + newType;
    }
    return pad + name + " : " + newType + value.map(v -> " = " + v).orElse("");
  }
}
