package dev.lowrank.format.torchscript.internal.code;

import java.util.List;

/**
 * One parsed code file of an archive ({@code code/__torch__/....py}).
 *
 * @param entry the entry name in the archive
 * @param qualifier the module qualifier its classes live in, e.g. {@code __torch__.torch.nn}
 * @param lines the physical lines of its text
 * @param classes the classes it declares
 * @param functions its top-level functions
 */
public record CodeFile(
    String entry,
    String qualifier,
    List<String> lines,
    List<ClassDef> classes,
    List<MethodDef> functions) {

  /** Copies the lists. */
  public CodeFile {
    lines = List.copyOf(lines);
    classes = List.copyOf(classes);
    functions = List.copyOf(functions);
  }
}
