package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.internal.ArchiveRewriter.Factorized;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.ConvModule;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.LinearModule;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.Site;
import dev.lowrank.format.torchscript.internal.code.AttentionForward;
import dev.lowrank.format.torchscript.internal.code.AttributeDecl;
import dev.lowrank.format.torchscript.internal.code.ClassDef;
import dev.lowrank.format.torchscript.internal.code.CodeFile;
import dev.lowrank.format.torchscript.internal.code.CodeText;
import dev.lowrank.format.torchscript.internal.code.EncoderForward;
import dev.lowrank.format.torchscript.internal.code.ForwardShape;
import dev.lowrank.format.torchscript.internal.code.Member;
import dev.lowrank.format.torchscript.internal.code.MethodDef;
import dev.lowrank.format.torchscript.internal.code.Param;
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
import dev.lowrank.linalg.ConvKernels;
import dev.lowrank.linalg.FloatMatrix;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything a rewrite changes, computed before a byte is written: the class each module object
 * ends up with, the code files to add or edit, the new {@code data.pkl}, the factor storages, and
 * the entries to leave out (replaced weight storages, debug info of edited code).
 *
 * <p>Factorized linear layers get a {@code LowRankLinear} class, factorized convolutions a {@code
 * LowRankConv2d} class (two chained {@code conv2d} calls in the form of their factors), and an
 * attention module with a factorized projection (or a factorized {@code out_proj}) a {@code
 * LowRankMultiheadAttention} class whose forward computes each projection from the form it holds
 * ({@link AttentionForward}); the classes above them that must declare new child types are edited
 * or cloned, and those of scripted encoder layers and encoders get the regular path as forward
 * ({@link EncoderForward}).
 */
final class RewritePlan {

  /** The parameter applied first, r x m. */
  static final String FACTOR_A = "lowrank_a";

  /** The parameter applied second, n x r. */
  static final String FACTOR_B = "lowrank_b";

  private static final String LOW_RANK_QUALIFIER = "__torch__.lowrank";
  private static final String LOW_RANK_CLASS = "LowRankLinear";
  private static final String LOW_RANK_CONV_CLASS = "LowRankConv2d";
  private static final Pattern MANGLE = Pattern.compile("___torch_mangle_(\\d+)");

  private final TorchScriptArchive archive;
  private final ModelAnalysis analysis;
  private final Map<PyObject, Factorized> chosen;
  private final Map<PyObject, Map<String, Factorized>> projections;
  private final Map<PyObject, Map<String, AttentionForward.Mode>> rewrittenAttention =
      new IdentityHashMap<>();
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
  private final Map<PyObject, Boolean> changed = new IdentityHashMap<>();
  private int nextMangle;
  private long nextKey;
  private final byte[] dataPickle;

  RewritePlan(
      TorchScriptArchive archive,
      ModelAnalysis analysis,
      Map<PyObject, Factorized> chosen,
      Map<PyObject, Map<String, Factorized>> projections)
      throws ModelFileException {
    this.archive = archive;
    this.analysis = analysis;
    this.chosen = chosen;
    this.projections = projections;
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
    makeAttention();
    for (Map.Entry<PyObject, String> e : finalClass.entrySet()) {
      PyObject o = e.getKey();
      if (!chosen.containsKey(o)
          && !rewrittenAttention.containsKey(o)
          && !e.getValue().equals(o.className())) {
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
    editedLines.forEach(
        (entry, lines) ->
            out.put(
                entry,
                String.join("\n", lines.stream().filter(java.util.Objects::nonNull).toList())));
    return out;
  }

  Set<String> droppedEntries() {
    return dropped;
  }

  /** Whether a class qualifier is one lowrank writes its classes under. */
  static boolean isLowRankQualifier(String qualifier) {
    return qualifier.equals(LOW_RANK_QUALIFIER)
        || qualifier.matches(Pattern.quote(LOW_RANK_QUALIFIER) + "\\.___torch_mangle_\\d+");
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
                + chosen.get(o).site().layer().name()
                + " has child modules that change too; lowrank cannot rewrite both");
      }
      Factorized f = chosen.get(o);
      ClassDef c = archive.classes().get(o.className());
      return f.site() instanceof ConvModule conv
          ? lowRankConvClassFor(c, conv, f.form())
          : lowRankClassFor(c, (LinearModule) f.site());
    }
    Optional<String> attention = attentionClassOf(o);
    if (attention.isPresent()) {
      return attention.get();
    }
    decide(o.className());
    return finalClass.getOrDefault(o, o.className());
  }

  /**
   * The class of an attention module lowrank rewrites (one of its projections or its out_proj is
   * factorized), empty for any other module.
   */
  private Optional<String> attentionClassOf(PyObject o) throws ModelFileException {
    Attention att = analysis.attention().get(o);
    if (att == null || att.notRewritable().isPresent()) {
      return Optional.empty();
    }
    String known = finalClass.get(o);
    if (known != null && rewrittenAttention.containsKey(o)) {
      return Optional.of(known);
    }
    Map<String, String> kids = childTypes(o);
    Map<String, Factorized> proj = projections.getOrDefault(o, Map.of());
    if (kids.isEmpty() && proj.isEmpty()) {
      return Optional.empty();
    }
    Map<String, AttentionForward.Mode> modes = new LinkedHashMap<>();
    boolean anyFactor = false;
    for (Attention.Projection p : att.projections()) {
      anyFactor |= proj.containsKey(p.name()) || p.dense().isEmpty();
    }
    for (Attention.Projection p : att.projections()) {
      AttentionForward.Mode mode;
      if (proj.containsKey(p.name()) || p.dense().isEmpty()) {
        mode = AttentionForward.Mode.FACTORS;
      } else if (p.packed() && !anyFactor) {
        mode = AttentionForward.Mode.PACKED;
      } else {
        mode = AttentionForward.Mode.DENSE;
      }
      modes.put(p.name(), mode);
    }
    String cls = attentionClassFor(att, modes, kids);
    finalClass.put(o, cls);
    rewrittenAttention.put(o, modes);
    return Optional.of(cls);
  }

  private boolean rewritesAttention(PyObject o) throws ModelFileException {
    return attentionClassOf(o).isPresent();
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
      if (chosen.containsKey(o) || rewritesAttention(o)) {
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
      // An encoder whose child classes keep their names (edited in place) still reads weights
      // that changed below it: it gets the regular path too, in its own class.
      if (analysis.hosts().containsKey(className)) {
        for (Map.Entry<PyObject, Map<String, String>> e : types.entrySet()) {
          if (e.getValue().isEmpty() && changedBelow(e.getKey())) {
            editInPlace(c, Map.of());
            break;
          }
        }
      }
    }
    deciding.remove(className);
    decided.add(className);
  }

  /** Whether a module below this one is factorized or gets another class or state. */
  private boolean changedBelow(PyObject o) throws ModelFileException {
    Boolean known = changed.get(o);
    if (known != null) {
      return known;
    }
    boolean any = false;
    for (PyObject child : analysis.children(o).values()) {
      if (chosen.containsKey(child) || rewritesAttention(child) || changedBelow(child)) {
        any = true;
        break;
      }
    }
    changed.put(o, any);
    return any;
  }

  private void editInPlace(ClassDef c, Map<String, String> types) throws ModelFileException {
    CodeFile f = files.get(c.entry());
    List<String> lines = editedLines.computeIfAbsent(c.entry(), k -> new ArrayList<>(f.lines()));
    for (Map.Entry<String, String> t : types.entrySet()) {
      lines.set(
          declaration(c, t.getKey()).line(), declaration(c, t.getKey()).withType(t.getValue()));
    }
    EncoderForward.Host host = analysis.hosts().get(c.qualifiedName());
    if (host != null) {
      MethodDef forward = c.method("forward").orElseThrow();
      String code =
          EncoderForward.forward(c, host, header(f.lines(), forward, c.qualifiedName(), null));
      lines.set(forward.firstLine(), code);
      for (int i = forward.firstLine() + 1; i < forward.endLine() && i < lines.size(); i++) {
        lines.set(i, null);
      }
    }
    dropped.add(c.entry() + ".debug_pkl");
  }

  /** The header lines of a method ({@code def} to the colon), renamed to another class. */
  private static List<String> header(List<String> lines, MethodDef m, String from, String to) {
    int bodyStart = m.body().isEmpty() ? m.firstLine() + 1 : m.body().get(0).firstLine();
    List<String> out = new ArrayList<>();
    for (int i = m.firstLine(); i < bodyStart && i < lines.size(); i++) {
      out.add(to == null ? lines.get(i) : CodeText.renameQualified(lines.get(i), from, to));
    }
    return out;
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
    EncoderForward.Host host = analysis.hosts().get(c.qualifiedName());
    for (Member m : c.members()) {
      if (m.kind() == Member.Kind.ATTRIBUTE && types.containsKey(m.name())) {
        sb.append(declaration(c, m.name()).withType(types.get(m.name()))).append('\n');
      } else if (host != null && m.kind() == Member.Kind.METHOD && m.name().equals("forward")) {
        MethodDef forward = c.method("forward").orElseThrow();
        sb.append(EncoderForward.forward(c, host, header(lines, forward, c.qualifiedName(), name)))
            .append('\n');
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
    String indent = " ".repeat(c.memberIndent());
    String body = indent + indent;
    String x = shape.input();
    String forward =
        indent
            + "def forward(self: "
            + name
            + ",\n"
            + body
            + x
            + ": Tensor) -> Tensor:\n"
            + body
            + "return torch.linear(torch.linear("
            + x
            + ", self."
            + FACTOR_A
            + "), self."
            + FACTOR_B
            + shape.bias().map(b -> ", self." + b).orElse("")
            + ")\n";
    newCode.put(entryOf(name), factorClass(c, name, LOW_RANK_CLASS, forward));
    lowRankClass.put(c.qualifiedName(), name);
    return name;
  }

  private String lowRankConvClassFor(ClassDef c, ConvModule module, ConvForm form) {
    String key = c.qualifiedName() + "#" + form.label();
    String known = lowRankClass.get(key);
    if (known != null) {
      return known;
    }
    ForwardShape.Conv shape = module.shape().orElseThrow();
    String name =
        LOW_RANK_QUALIFIER + ".___torch_mangle_" + nextMangle++ + "." + LOW_RANK_CONV_CLASS;
    String indent = " ".repeat(c.memberIndent());
    String body = indent + indent;
    String x = shape.input();
    int[] s = shape.stride();
    int[] p = shape.padding();
    int[] d = shape.dilation();
    String first;
    String second;
    if (form == ConvForm.CHANNEL) {
      first = list(s[0], s[1]) + ", " + list(p[0], p[1]) + ", " + list(d[0], d[1]);
      second = "[1, 1], [0, 0], [1, 1]";
    } else {
      first = list(s[0], 1) + ", " + list(p[0], 0) + ", " + list(d[0], 1);
      second = list(1, s[1]) + ", " + list(0, p[1]) + ", " + list(1, d[1]);
    }
    String hidden = x.equals("_lr_hidden") ? "_lr_hidden0" : "_lr_hidden";
    String forward =
        indent
            + "def forward(self: "
            + name
            + ",\n"
            + body
            + x
            + ": Tensor) -> Tensor:\n"
            + body
            + hidden
            + " = torch.conv2d("
            + x
            + ", self."
            + FACTOR_A
            + ", None, "
            + first
            + ")\n"
            + body
            + "return torch.conv2d("
            + hidden
            + ", self."
            + FACTOR_B
            + ", "
            + shape.bias().map(b -> "self." + b).orElse("None")
            + ", "
            + second
            + ")\n";
    newCode.put(entryOf(name), factorClass(c, name, LOW_RANK_CONV_CLASS, forward));
    lowRankClass.put(key, name);
    return name;
  }

  private static String list(int a, int b) {
    return "[" + a + ", " + b + "]";
  }

  /**
   * The source of a class holding {@code lowrank_a} and {@code lowrank_b} instead of {@code
   * weight}, with a new forward and every other member copied.
   */
  private String factorClass(ClassDef c, String name, String simpleName, String forward) {
    List<String> lines = files.get(c.entry()).lines();
    String indent = " ".repeat(c.memberIndent());
    StringBuilder sb = new StringBuilder("class " + simpleName + "(Module):\n");
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
        sb.append(forward);
      } else {
        copy(sb, lines, m, c.qualifiedName(), name);
      }
    }
    return sb.toString();
  }

  /** The class of a rewritten attention module, one per class, projection modes and child types. */
  private String attentionClassFor(
      Attention att, Map<String, AttentionForward.Mode> modes, Map<String, String> kids)
      throws ModelFileException {
    ClassDef c = att.node().cls();
    String key = c.qualifiedName() + "#" + modes + "#" + kids;
    String known = lowRankClass.get(key);
    if (known != null) {
      return known;
    }
    String name =
        LOW_RANK_QUALIFIER + ".___torch_mangle_" + nextMangle++ + "." + Attention.LOW_RANK_CLASS;
    List<String> lines = files.get(c.entry()).lines();
    String indent = " ".repeat(c.memberIndent());
    Set<String> weights = new LinkedHashSet<>(List.of("in_proj_weight"));
    for (Attention.Projection p : att.projections()) {
      weights.addAll(List.of(p.denseAttribute(), p.factorA(), p.factorB()));
    }
    List<String> newParams = new ArrayList<>();
    List<String> newDecls = new ArrayList<>();
    boolean packed = false;
    for (Attention.Projection p : att.projections()) {
      switch (modes.get(p.name())) {
        case PACKED -> packed = true;
        case DENSE -> {
          newParams.add(p.denseAttribute());
          newDecls.add(p.denseAttribute());
        }
        case FACTORS -> {
          newParams.add(p.factorA());
          newParams.add(p.factorB());
          newDecls.add(p.factorA());
          newDecls.add(p.factorB());
        }
      }
    }
    if (packed) {
      newParams.add(0, "in_proj_weight");
      newDecls.add(0, "in_proj_weight");
    }
    StringBuilder sb = new StringBuilder("class " + Attention.LOW_RANK_CLASS + "(Module):\n");
    boolean declared = false;
    for (Member m : c.members()) {
      if (m.kind() == Member.Kind.PARAMETERS) {
        sb.append(indent).append("__parameters__ = [");
        boolean put = false;
        for (String p : c.parameters()) {
          if (weights.contains(p)) {
            if (!put) {
              newParams.forEach(n -> sb.append(CodeText.quote(n)).append(", "));
              put = true;
            }
          } else {
            sb.append(CodeText.quote(p)).append(", ");
          }
        }
        if (!put) {
          newParams.forEach(n -> sb.append(CodeText.quote(n)).append(", "));
        }
        sb.append("]\n");
      } else if (m.kind() == Member.Kind.ATTRIBUTE && weights.contains(m.name())) {
        if (!declared) {
          newDecls.forEach(n -> sb.append(indent).append(n).append(" : Tensor\n"));
          declared = true;
        }
      } else if (m.kind() == Member.Kind.ATTRIBUTE && kids.containsKey(m.name())) {
        sb.append(declaration(c, m.name()).withType(kids.get(m.name()))).append('\n');
      } else if (m.kind() == Member.Kind.METHOD) {
        if (m.name().equals("forward")) {
          MethodDef forward = att.forward().orElseThrow();
          sb.append(
                  AttentionForward.forward(
                      header(lines, forward, c.qualifiedName(), name),
                      forward.params().stream().map(Param::name).toList(),
                      c.memberIndent(),
                      att.batchFirst(),
                      modes,
                      att.bias().isPresent()))
              .append('\n');
        }
      } else {
        copy(sb, lines, m, c.qualifiedName(), name);
      }
    }
    if (!declared) {
      throw new ModelFileException(
          archive.path(),
          "class " + c.qualifiedName() + " does not declare its projection weights");
    }
    newCode.put(entryOf(name), sb.toString());
    lowRankClass.put(key, name);
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
    for (Site site : analysis.sites()) {
      Factorized f = chosen.get(site.node().object());
      if (f == null || site instanceof ModelAnalysis.ProjectionSite) {
        continue;
      }
      PyTensor w = site.weight().orElseThrow();
      FloatMatrix first = f.factors().a();
      FloatMatrix second = f.factors().b();
      long[] shapeA = {first.rows(), first.cols()};
      long[] shapeB = {second.rows(), second.cols()};
      if (site instanceof ConvModule conv) {
        ConvGeometry g = conv.layer().conv().orElseThrow();
        int r = f.factors().rank();
        if (f.form() == ConvForm.CHANNEL) {
          shapeA = new long[] {r, g.inChannels(), g.kernelHeight(), g.kernelWidth()};
          shapeB = new long[] {g.outChannels(), r, 1, 1};
        } else {
          first = ConvKernels.spatialVertical(f.factors());
          second = ConvKernels.spatialHorizontal(f.factors(), g.outChannels(), g.kernelWidth());
          shapeA = new long[] {r, g.inChannels(), g.kernelHeight(), 1};
          shapeB = new long[] {g.outChannels(), r, 1, g.kernelWidth()};
        }
      }
      PyTensor a = newStoredTensor(w, first, shapeA);
      PyTensor b = newStoredTensor(w, second, shapeB);
      dropped.add(archive.dataEntryName(w.storage().key()));
      PyObject o = site.node().object();
      Map<String, PyValue> replace = new LinkedHashMap<>();
      replace.put(FACTOR_A, a);
      replace.put(FACTOR_B, b);
      replacements.put(
          o, new PyObject(finalClass(o, f), replacedState(o, Set.of("weight"), replace)));
    }
  }

  private String finalClass(PyObject o, Factorized f) {
    String key =
        f.site() instanceof ConvModule ? o.className() + "#" + f.form().label() : o.className();
    return lowRankClass.get(key);
  }

  /** The new state of each rewritten attention module: its projection tensors in their modes. */
  private void makeAttention() throws ModelFileException {
    for (Map.Entry<PyObject, Map<String, AttentionForward.Mode>> e :
        rewrittenAttention.entrySet()) {
      PyObject o = e.getKey();
      Attention att = analysis.attention().get(o);
      Map<String, Factorized> proj = projections.getOrDefault(o, Map.of());
      Map<String, PyValue> replace = new LinkedHashMap<>();
      Set<String> removed = new LinkedHashSet<>();
      Optional<PyTensor> packed = ModelAnalysis.tensor(o, "in_proj_weight");
      boolean splitPacked = false;
      for (Attention.Projection p : att.projections()) {
        AttentionForward.Mode mode = e.getValue().get(p.name());
        removed.add(p.denseAttribute());
        removed.add(p.factorA());
        removed.add(p.factorB());
        Factorized f = proj.get(p.name());
        switch (mode) {
          case PACKED -> replace.put("in_proj_weight", packed.orElseThrow());
          case DENSE -> {
            PyTensor w = p.dense().orElseThrow();
            if (p.packed()) {
              FloatMatrix slice =
                  TensorLayout.readMatrix(
                      archive.zip(), archive.storageEntry(w.storage()), w, archive.byteOrder());
              replace.put(
                  p.denseAttribute(),
                  newStoredTensor(w, slice, new long[] {slice.rows(), slice.cols()}));
              splitPacked = true;
            } else {
              replace.put(p.denseAttribute(), w);
            }
          }
          case FACTORS -> {
            if (f == null) {
              // Already factorized in the input: keep its tensors.
              replace.put(p.factorA(), p.a().orElseThrow());
              replace.put(p.factorB(), p.b().orElseThrow());
            } else {
              PyTensor w = p.dense().orElseThrow();
              FloatMatrix a = f.factors().a();
              FloatMatrix b = f.factors().b();
              replace.put(p.factorA(), newStoredTensor(w, a, new long[] {a.rows(), a.cols()}));
              replace.put(p.factorB(), newStoredTensor(w, b, new long[] {b.rows(), b.cols()}));
              if (p.packed()) {
                splitPacked = true;
              } else {
                dropped.add(archive.dataEntryName(w.storage().key()));
              }
            }
          }
        }
      }
      removed.add("in_proj_weight");
      if (splitPacked) {
        dropped.add(archive.dataEntryName(packed.orElseThrow().storage().key()));
      }
      replacements.put(o, new PyObject(finalClass.get(o), replacedState(o, removed, replace)));
    }
  }

  /** A new tensor of the weight's dtype, device and grad flag holding a matrix in a new storage. */
  private PyTensor newStoredTensor(PyTensor like, FloatMatrix values, long[] shape) {
    String key = freshKey();
    newStorages.put(
        archive.dataEntryName(key),
        TensorLayout.toBytes(values, like.storage().dtype(), archive.byteOrder()));
    return newTensor(like, key, shape);
  }

  /**
   * The state of a module with some attributes removed and new ones put where the first removed one
   * was (or at the end).
   */
  private static PyDict replacedState(PyObject o, Set<String> removed, Map<String, PyValue> added) {
    PyDict state = new PyDict();
    boolean put = false;
    for (Map.Entry<PyValue, PyValue> e : o.attributes().orElseThrow().items().entrySet()) {
      if (e.getKey() instanceof PyStr k && removed.contains(k.value())) {
        if (!put) {
          added.forEach((name, v) -> state.items().put(new PyStr(name), v));
          put = true;
        }
      } else {
        state.items().put(e.getKey(), e.getValue());
      }
    }
    if (!put) {
      added.forEach((name, v) -> state.items().put(new PyStr(name), v));
    }
    return state;
  }

  /** A contiguous tensor of a new storage with the weight's dtype, device and grad flag. */
  private static PyTensor newTensor(PyTensor like, String key, long[] shape) {
    long numel = 1;
    for (long d : shape) {
      numel = Math.multiplyExact(numel, d);
    }
    long[] stride = new long[shape.length];
    long step = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      stride[i] = step;
      step *= shape[i];
    }
    Storage s = new Storage(key, like.storage().dtype(), like.storage().location(), numel);
    return new PyTensor(
        s,
        0,
        shape,
        stride,
        like.requiresGrad(),
        List.of(new PyCall("collections", "OrderedDict", PyTuple.of())));
  }
}
