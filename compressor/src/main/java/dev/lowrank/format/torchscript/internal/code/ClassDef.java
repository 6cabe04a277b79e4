package dev.lowrank.format.torchscript.internal.code;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A class of the archive as its code file declares it: attributes (which of them are parameters and
 * buffers), methods, and where it lies in the file.
 *
 * @param qualifiedName e.g. {@code __torch__.torch.nn.modules.linear.___torch_mangle_0.Linear}
 * @param base the base named in the header ({@code Module} for modules), empty for none
 * @param entry the code file's entry name in the archive
 * @param parameters the names in {@code __parameters__}
 * @param buffers the names in {@code __buffers__}
 * @param attributes the declared attributes by name, in declaration order
 * @param methods the methods by name, in order
 * @param members every statement of the body, in order
 * @param memberIndent the indentation of the body
 * @param firstLine the 0-based physical line of the {@code class} header
 * @param endLine the physical line after the class's last line
 */
public record ClassDef(
    String qualifiedName,
    Optional<String> base,
    String entry,
    List<String> parameters,
    List<String> buffers,
    Map<String, AttributeDecl> attributes,
    Map<String, MethodDef> methods,
    List<Member> members,
    int memberIndent,
    int firstLine,
    int endLine) {

  /** Copies the collections. */
  public ClassDef {
    parameters = List.copyOf(parameters);
    buffers = List.copyOf(buffers);
    attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    methods = Collections.unmodifiableMap(new LinkedHashMap<>(methods));
    members = List.copyOf(members);
  }

  /**
   * Returns the class name without its qualifier, e.g. {@code Linear}.
   *
   * @return the simple name
   */
  public String simpleName() {
    return qualifiedName.substring(qualifiedName.lastIndexOf('.') + 1);
  }

  /**
   * Returns whether the class is an {@code nn.Module}.
   *
   * @return {@code true} if its base is {@code Module}
   */
  public boolean isModule() {
    return base.filter("Module"::equals).isPresent();
  }

  /**
   * Returns a method.
   *
   * @param name the method name
   * @return the method, if the class has it
   */
  public Optional<MethodDef> method(String name) {
    return Optional.ofNullable(methods.get(name));
  }
}
