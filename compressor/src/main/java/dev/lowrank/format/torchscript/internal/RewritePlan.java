package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.internal.ArchiveRewriter.Factorized;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.LinearModule;
import dev.lowrank.format.torchscript.internal.code.AttributeDecl;
import dev.lowrank.format.torchscript.internal.code.ClassDef;
import dev.lowrank.format.torchscript.internal.code.CodeFile;
import dev.lowrank.format.torchscript.internal.code.CodeText;
import dev.lowrank.format.torchscript.internal.code.ForwardShape;
import dev.lowrank.format.torchscript.internal.code.Member;
import dev.lowrank.format.torchscript.internal.pickle.Pickler;
import dev.lowrank.format.torchscript.internal.pickle.PyValue;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyCall;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyDict;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyList;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyObject;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyStr;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTuple;
import dev.lowrank.format.torchscript.internal.pickle.Storage;
import dev.lowrank.format.torchscript.internal.zip.ZipEntryInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything a rewrite changes, computed before a byte is written: the class each module object
 * ends up with, the code files to add or edit, the new {@code data.pkl}, the factor storages, and
 * the entries to leave out (replaced weight storages, debug info of edited code).
 */
final class RewritePlan {

  /** The parameter applied first, r x m. */
  static final String FACTOR_A = "lowrank_a";

  /** The parameter applied second, n x r. */
  static final String FACTOR_B = "lowrank_b";

  private static final String LOW_RANK_QUALIFIER = "__torch__.lowrank";
  private static final String LOW_RANK_CLASS = "LowRankLinear";
  private static final Pattern MANGLE = Pattern.compile("___torch_mangle_(\\d+)");

  private final TorchScriptArchive archive;
  private final ModelAnalysis analysis;
  private final Map<PyObject, Factorized> chosen;
  private final Map<String, CodeFile> files = new LinkedHashMap<>();
  private final Map<String, List<PyObject>> instances = new LinkedHashMap<>();

  private final Map<PyObject, String> finalClass = new IdentityHashMap<>();
  private final Set<String> decided = new HashSet<>();
  private final Set<String> deciding = new HashSet<>();
  private final Map<String, String> lowRankClass = new LinkedHashMap<>();
  private final Map<String, List<String>> editedLines = new LinkedHashMap<>();
  private final Map<String, String> newCode = new LinkedHashMap<>();
  private final Map<String, byte[]> newStorages = new LinkedHashMap<>();
  private final Set<String> dropped = new LinkedHashSet<>();
  private final Map<PyObject, PyObject> replacements = new IdentityHashMap<>();
  private int nextMangle;
  private long nextKey;
  private final byte[] dataPickle;

  RewritePlan(TorchScriptArchive archive, ModelAnalysis analysis, Map<PyObject, Factorized> chosen)
      throws ModelFileException {
    this.archive = archive;
    this.analysis = analysis;
    this.chosen = chosen;
    for (CodeFile f : archive.codeFiles()) {
      files.put(f.entry(), f);
    }
    collectInstances();
    nextMangle = firstFreeMangle();
    nextKey = firstFreeKey();
    finalClassOf(archive.root());
    for (List<PyObject> objects : instances.values()) {
      for (PyObject o : objects) {
        finalClassOf(o);
      }
    }
    makeFactors();
    for (Map.Entry<PyObject, String> e : finalClass.entrySet()) {
      PyObject o = e.getKey();
      if (!chosen.containsKey(o) && !e.getValue().equals(o.className())) {
        replacements.put(o, new PyObject(e.getValue(), o.state()));
      }
    }
    this.dataPickle = Pickler.write(archive.root(), o -> replacements.getOrDefault(o, o));
  }

  byte[] dataPickle() {
    return dataPickle;
  }

  Map<String, byte[]> newStorages() {
    return newStorages;
  }

  Map<String, String> newCode() {
    return newCode;
  }

  Map<String, String> editedCode() {
    Map<String, String> out = new LinkedHashMap<>();
    editedLines.forEach((entry, lines) -> out.put(entry, String.join("\n", lines)));
    return out;
  }

  Set<String> droppedEntries() {
    return dropped;
  }

  // ---- classes ---------------------------------------------------------------------------------

  private void collectInstances() {
    Map<Object, Boolean> seen = new IdentityHashMap<>();
    List<PyValue> todo = new ArrayList<>(List.of(archive.root()));
    while (!todo.isEmpty()) {
      PyValue v = todo.remove(todo.size() - 1);
      if (v instanceof PyObject || v instanceof PyList || v instanceof PyDict) {
        if (seen.put(v, Boolean.TRUE) != null) {
          continue;
        }
      }
      if (v instanceof PyObject o) {
        instances.computeIfAbsent(o.className(), k -> new ArrayList<>()).add(o);
        todo.add(o.state());
      } else if (v instanceof PyDict d) {
        todo.addAll(d.items().keySet());
        todo.addAll(d.items().values());
      } else if (v instanceof PyList l) {
        todo.addAll(l.items());
      } else if (v instanceof PyTuple t) {
        todo.addAll(t.items());
      } else if (v instanceof PyCall c) {
        todo.add(c.args());
      }
    }
  }

  private int firstFreeMangle() {
    int max = -1;
    List<String> names = new ArrayList<>(archive.classes().keySet());
    archive.zip().entries().forEach(e -> names.add(e.name()));
    for (String n : names) {
      Matcher m = MANGLE.matcher(n);
      while (m.find()) {
        String digits = m.group(1);
        max = Math.max(max, digits.length() > 9 ? 999_999_999 : Integer.parseInt(digits));
      }
    }
    return max + 1;
  }

  private long firstFreeKey() {
    long max = -1;
    String dir = archive.recordName("data/");
    for (ZipEntryInfo e : archive.zip().entries()) {
      if (e.name().startsWith(dir)) {
        String key = e.name().substring(dir.length());
        if (key.matches("[0-9]{1,15}")) {
          max = Math.max(max, Long.parseLong(key));
        }
      }
    }
    return max + 1;
  }

  private String freshKey() {
    while (archive.zip().find(archive.dataEntryName(Long.toString(nextKey))).isPresent()) {
      nextKey++;
    }
    return Long.toString(nextKey++);
  }

  private String finalClassOf(PyObject o) throws ModelFileException {
    if (chosen.containsKey(o)) {
      if (!childTypes(o).isEmpty()) {
        throw new ModelFileException(
            archive.path(),
            "layer "
                + chosen.get(o).module().layer().name()
                + " has child modules that change too; lowrank cannot rewrite both");
      }
      return lowRankClassFor(archive.classes().get(o.className()), chosen.get(o).module());
    }
    decide(o.className());
    return finalClass.getOrDefault(o, o.className());
  }

  /** The new class names of the module children whose class changes, by attribute. */
  private Map<String, String> childTypes(PyObject o) throws ModelFileException {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, PyObject> c : analysis.children(o).entrySet()) {
      String type = finalClassOf(c.getValue());
      if (!type.equals(c.getValue().className())) {
        out.put(c.getKey(), type);
      }
    }
    return out;
  }

  private void decide(String className) throws ModelFileException {
    if (decided.contains(className)) {
      return;
    }
    if (!deciding.add(className)) {
      throw new ModelFileException(
          archive.path(), "class " + className + " contains itself; lowrank cannot rewrite it");
    }
    Map<PyObject, Map<String, String>> types = new IdentityHashMap<>();
    Set<Map<String, String>> distinct = new LinkedHashSet<>();
    boolean anyUnchanged = false;
    for (PyObject o : instances.getOrDefault(className, List.of())) {
      if (chosen.containsKey(o)) {
        continue;
      }
      Map<String, String> t = childTypes(o);
      types.put(o, t);
      if (t.isEmpty()) {
        anyUnchanged = true;
      } else {
        distinct.add(t);
      }
    }
    ClassDef c = archive.classes().get(className);
    if (distinct.size() == 1 && !anyUnchanged) {
      editInPlace(c, distinct.iterator().next());
    } else {
      Map<Map<String, String>, String> clones = new LinkedHashMap<>();
      for (Map<String, String> t : distinct) {
        clones.put(t, cloneClass(c, t));
      }
      types.forEach(
          (o, t) -> {
            if (!t.isEmpty()) {
              finalClass.put(o, clones.get(t));
            }
          });
    }
    deciding.remove(className);
    decided.add(className);
  }

  private void editInPlace(ClassDef c, Map<String, String> types) throws ModelFileException {
    CodeFile f = files.get(c.entry());
    List<String> lines = editedLines.computeIfAbsent(c.entry(), k -> new ArrayList<>(f.lines()));
    for (Map.Entry<String, String> t : types.entrySet()) {
      lines.set(
          declaration(c, t.getKey()).line(), declaration(c, t.getKey()).withType(t.getValue()));
    }
    dropped.add(c.entry() + ".debug_pkl");
  }

  private AttributeDecl declaration(ClassDef c, String attribute) throws ModelFileException {
    AttributeDecl d = c.attributes().get(attribute);
    if (d == null) {
      throw new ModelFileException(
          archive.path(),
          "class " + c.qualifiedName() + " does not declare its attribute " + attribute);
    }
    return d;
  }

  private String cloneClass(ClassDef c, Map<String, String> types) throws ModelFileException {
    String qualifier = c.qualifiedName().substring(0, c.qualifiedName().lastIndexOf('.'));
    if (qualifier.matches(".*\\.___torch_mangle_\\d+")) {
      qualifier = qualifier.substring(0, qualifier.lastIndexOf('.'));
    }
    String name = qualifier + ".___torch_mangle_" + nextMangle++ + "." + c.simpleName();
    List<String> lines = files.get(c.entry()).lines();
    StringBuilder sb = new StringBuilder(lines.get(c.firstLine())).append('\n');
    for (Member m : c.members()) {
      if (m.kind() == Member.Kind.ATTRIBUTE && types.containsKey(m.name())) {
        sb.append(declaration(c, m.name()).withType(types.get(m.name()))).append('\n');
      } else {
        copy(sb, lines, m, c.qualifiedName(), name);
      }
    }
    newCode.put(entryOf(name), sb.toString());
    return name;
  }

  private String lowRankClassFor(ClassDef c, LinearModule module) {
    String known = lowRankClass.get(c.qualifiedName());
    if (known != null) {
      return known;
    }
    ForwardShape.Linear shape = module.shape().orElseThrow();
    String name = LOW_RANK_QUALIFIER + ".___torch_mangle_" + nextMangle++ + "." + LOW_RANK_CLASS;
    List<String> lines = files.get(c.entry()).lines();
    String indent = " ".repeat(c.memberIndent());
    StringBuilder sb = new StringBuilder("class " + LOW_RANK_CLASS + "(Module):\n");
    for (Member m : c.members()) {
      if (m.kind() == Member.Kind.PARAMETERS) {
        sb.append(indent).append("__parameters__ = [");
        for (String p : c.parameters()) {
          if (p.equals("weight")) {
            sb.append(CodeText.quote(FACTOR_A)).append(", ");
            sb.append(CodeText.quote(FACTOR_B)).append(", ");
          } else {
            sb.append(CodeText.quote(p)).append(", ");
          }
        }
        sb.append("]\n");
      } else if (m.kind() == Member.Kind.ATTRIBUTE && m.name().equals("weight")) {
        sb.append(indent).append(FACTOR_A).append(" : Tensor\n");
        sb.append(indent).append(FACTOR_B).append(" : Tensor\n");
      } else if (m.kind() == Member.Kind.METHOD && m.name().equals("forward")) {
        String body = indent + indent;
        String x = shape.input();
        sb.append(indent).append("def forward(self: ").append(name).append(",\n");
        sb.append(body).append(x).append(": Tensor) -> Tensor:\n");
        sb.append(body)
            .append("return torch.linear(torch.linear(")
            .append(x)
            .append(", self.")
            .append(FACTOR_A)
            .append("), self.")
            .append(FACTOR_B)
            .append(shape.bias().map(b -> ", self." + b).orElse(""))
            .append(")\n");
      } else {
        copy(sb, lines, m, c.qualifiedName(), name);
      }
    }
    newCode.put(entryOf(name), sb.toString());
    lowRankClass.put(c.qualifiedName(), name);
    return name;
  }

  private static void copy(StringBuilder sb, List<String> lines, Member m, String from, String to) {
    for (int i = m.firstLine(); i < m.endLine() && i < lines.size(); i++) {
      sb.append(CodeText.renameQualified(lines.get(i), from, to)).append('\n');
    }
  }

  private String entryOf(String qualifiedName) {
    String qualifier = qualifiedName.substring(0, qualifiedName.lastIndexOf('.'));
    return archive.recordName("code/" + qualifier.replace('.', '/') + ".py");
  }

  // ---- tensors ---------------------------------------------------------------------------------

  private void makeFactors() {
    for (LinearModule l : analysis.linears()) {
      Factorized f = chosen.get(l.node().object());
      if (f == null) {
        continue;
      }
      PyTensor w = l.weight().orElseThrow();
      String keyA = freshKey();
      String keyB = freshKey();
      PyTensor a = newTensor(w, keyA, f.factors().a().rows(), f.factors().a().cols());
      PyTensor b = newTensor(w, keyB, f.factors().b().rows(), f.factors().b().cols());
      newStorages.put(
          archive.dataEntryName(keyA),
          TensorLayout.toBytes(f.factors().a(), w.storage().dtype(), archive.byteOrder()));
      newStorages.put(
          archive.dataEntryName(keyB),
          TensorLayout.toBytes(f.factors().b(), w.storage().dtype(), archive.byteOrder()));
      dropped.add(archive.dataEntryName(w.storage().key()));
      PyObject o = l.node().object();
      replacements.put(o, new PyObject(finalClass(o), factorizedState(o, a, b)));
    }
  }

  private String finalClass(PyObject o) {
    return lowRankClass.get(o.className());
  }

  /** The state of a factorized module: {@code weight} replaced by the two factors, in place. */
  private static PyDict factorizedState(PyObject o, PyTensor a, PyTensor b) {
    PyDict state = new PyDict();
    for (Map.Entry<PyValue, PyValue> e : o.attributes().orElseThrow().items().entrySet()) {
      if (e.getKey().equals(new PyStr("weight"))) {
        state.items().put(new PyStr(FACTOR_A), a);
        state.items().put(new PyStr(FACTOR_B), b);
      } else {
        state.items().put(e.getKey(), e.getValue());
      }
    }
    return state;
  }

  /** A contiguous tensor of a new storage with the weight's dtype, device and grad flag. */
  private static PyTensor newTensor(PyTensor like, String key, int rows, int cols) {
    Storage s =
        new Storage(key, like.storage().dtype(), like.storage().location(), (long) rows * cols);
    return new PyTensor(
        s,
        0,
        new long[] {rows, cols},
        new long[] {cols, 1},
        like.requiresGrad(),
        List.of(new PyCall("collections", "OrderedDict", PyTuple.of())));
  }
}
