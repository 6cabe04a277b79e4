package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.internal.code.ClassDef;
import dev.lowrank.format.torchscript.internal.code.CodeFile;
import dev.lowrank.format.torchscript.internal.code.ForwardShape;
import dev.lowrank.format.torchscript.internal.code.MethodDef;
import dev.lowrank.format.torchscript.internal.code.MethodScan;
import dev.lowrank.format.torchscript.internal.pickle.PyValue;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyCall;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyObject;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyStr;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What lowrank knows about an archive's module tree: the modules in {@code named_modules()} order,
 * the parameter count, and the linear layers, each with the reasons it must stay dense.
 *
 * <p>A module is a linear layer when it holds a 2-D {@code weight} tensor and either its forward is
 * exactly the linear op or its class is named {@code *Linear}. It may be factorized only when
 * nothing but that forward can touch the weight: no code of any class or function reads {@code
 * .weight} of it (TorchScript's {@code nn.MultiheadAttention} passes {@code out_proj.weight} to the
 * attention function; a traced {@code nn.TransformerEncoderLayer} passes {@code linear1.weight} to
 * its fused op), lets it escape as a value, or names its class; its weight is a float parameter no
 * other attribute or tensor shares.
 */
final class ModelAnalysis {

  private static final Pattern TORCH_NAME =
      Pattern.compile("__torch__(\\.[A-Za-z_][A-Za-z0-9_]*)+");

  private final TorchScriptArchive archive;
  private final List<ModuleNode> modules = new ArrayList<>();
  private final Map<PyObject, ModuleNode> nodeOf = new IdentityHashMap<>();
  private final List<LinearModule> linears = new ArrayList<>();
  private long parameterCount;

  private final Map<PyObject, Set<String>> readers = new IdentityHashMap<>();
  private final Map<PyObject, Set<String>> escapes = new IdentityHashMap<>();
  private final Map<PyObject, Set<String>> unknown = new IdentityHashMap<>();
  private final Map<String, Set<String>> mentions = new LinkedHashMap<>();

  /**
   * A module instance.
   *
   * @param name its name in {@code named_modules()}, empty for the root
   * @param object the pickled object
   * @param cls its class
   */
  record ModuleNode(String name, PyObject object, ClassDef cls) {
    String display() {
      return name.isEmpty() ? "the top-level module" : name;
    }
  }

  /**
   * A linear layer of the archive.
   *
   * @param layer the layer as the SourceModel reports it
   * @param node its module
   * @param weight the dense weight, empty for a factorized layer
   * @param shape its plain linear forward, when it has one
   */
  record LinearModule(
      Layer layer,
      ModuleNode node,
      Optional<PyTensor> weight,
      Optional<ForwardShape.Linear> shape) {}

  private ModelAnalysis(TorchScriptArchive archive) {
    this.archive = archive;
  }

  /**
   * Analyses an archive.
   *
   * @param archive the opened archive
   * @return the analysis
   * @throws ModelFileException if the module tree contains itself
   */
  static ModelAnalysis of(TorchScriptArchive archive) throws ModelFileException {
    ModelAnalysis a = new ModelAnalysis(archive);
    a.walk("", archive.root(), java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
    a.countParameters();
    List<ModuleNode> candidates = a.candidates();
    a.scanCode(candidates);
    a.describe(candidates);
    return a;
  }

  List<LinearModule> linears() {
    return linears;
  }

  long parameterCount() {
    return parameterCount;
  }

  // ---- module tree -----------------------------------------------------------------------------

  private void walk(String name, PyObject o, Set<PyObject> path) throws ModelFileException {
    if (path.contains(o)) {
      throw new ModelFileException(
          archive.path(), "data.pkl holds a module that contains itself (at " + name + ")");
    }
    if (nodeOf.containsKey(o)) {
      return;
    }
    ModuleNode node = new ModuleNode(name, o, archive.classes().get(o.className()));
    nodeOf.put(o, node);
    modules.add(node);
    path.add(o);
    for (Map.Entry<String, PyObject> child : children(o).entrySet()) {
      walk(name.isEmpty() ? child.getKey() : name + "." + child.getKey(), child.getValue(), path);
    }
    path.remove(o);
  }

  /** The module-valued attributes of an object, in slot order. */
  Map<String, PyObject> children(PyObject o) {
    Map<String, PyObject> out = new LinkedHashMap<>();
    o.attributes()
        .ifPresent(
            d ->
                d.items()
                    .forEach(
                        (k, v) -> {
                          if (k instanceof PyStr s
                              && v instanceof PyObject child
                              && isModule(child)) {
                            out.put(s.value(), child);
                          }
                        }));
    return out;
  }

  private boolean isModule(PyObject o) {
    ClassDef c = archive.classes().get(o.className());
    return c != null && c.isModule();
  }

  static Optional<PyTensor> tensor(PyObject o, String attribute) {
    return o.attribute(attribute).flatMap(ModelAnalysis::asTensor);
  }

  static Optional<PyTensor> asTensor(PyValue v) {
    if (v instanceof PyTensor t) {
      return Optional.of(t);
    }
    if (v instanceof PyCall c
        && c.name().equals("_rebuild_parameter")
        && !c.args().items().isEmpty()
        && c.args().items().get(0) instanceof PyTensor t) {
      return Optional.of(t);
    }
    return Optional.empty();
  }

  private void countParameters() {
    Map<PyTensor, Boolean> seen = new IdentityHashMap<>();
    for (ModuleNode m : modules) {
      for (String p : m.cls().parameters()) {
        Optional<PyTensor> t = tensor(m.object(), p);
        if (t.isPresent() && seen.put(t.get(), Boolean.TRUE) == null) {
          parameterCount += t.get().numel();
        }
      }
    }
  }

  // ---- linear layers ---------------------------------------------------------------------------

  private List<ModuleNode> candidates() {
    List<ModuleNode> out = new ArrayList<>();
    for (ModuleNode m : modules) {
      Optional<MethodDef> forward = m.cls().method("forward");
      Optional<ForwardShape.LowRank> low = forward.flatMap(ForwardShape::lowRank);
      if (low.isPresent()) {
        Optional<PyTensor> a = tensor(m.object(), low.get().a());
        Optional<PyTensor> b = tensor(m.object(), low.get().b());
        if (a.isPresent()
            && b.isPresent()
            && a.get().dim() == 2
            && b.get().dim() == 2
            && a.get().size()[0] == b.get().size()[1]) {
          continue;
        }
      }
      Optional<PyTensor> w = tensor(m.object(), "weight");
      if (w.isEmpty() || w.get().dim() != 2) {
        continue;
      }
      boolean plain = forward.flatMap(ForwardShape::linear).isPresent();
      if (plain || m.cls().simpleName().endsWith("Linear")) {
        out.add(m);
      }
    }
    return out;
  }

  private void scanCode(List<ModuleNode> candidates) {
    Predicate<String> moduleTypes = type -> mentionsModuleType(type);
    Map<String, List<Scanned>> byClass = new LinkedHashMap<>();
    for (ClassDef c : archive.classes().values()) {
      List<Scanned> scans = new ArrayList<>();
      boolean plainLinear =
          c.method("forward")
              .flatMap(ForwardShape::linear)
              .filter(s -> s.weight().equals("weight"))
              .isPresent();
      for (MethodDef m : c.methods().values()) {
        if (plainLinear && m.name().equals("forward")) {
          continue;
        }
        MethodScan scan = MethodScan.scan(m, true, moduleTypes);
        scans.add(new Scanned(m.name(), scan));
        for (String mention : scan.mentions()) {
          if (!mention.equals(c.qualifiedName())) {
            mentions
                .computeIfAbsent(mention, k -> new LinkedHashSet<>())
                .add(c.simpleName() + "." + m.name());
          }
        }
        if (!c.isModule() && !scan.unresolved().isEmpty()) {
          markAll(candidates, unknown, "code lowrank cannot follow in " + c.simpleName());
        }
      }
      byClass.put(c.qualifiedName(), scans);
    }
    for (CodeFile f : archive.codeFiles()) {
      for (MethodDef fn : f.functions()) {
        MethodScan scan = MethodScan.scan(fn, false, moduleTypes);
        for (String mention : scan.mentions()) {
          mentions.computeIfAbsent(mention, k -> new LinkedHashSet<>()).add(fn.name());
        }
        if (!scan.unresolved().isEmpty() || !scan.escapes().isEmpty()) {
          markAll(candidates, unknown, "code lowrank cannot follow in function " + fn.name());
        }
      }
    }
    Set<PyObject> candidateSet = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    candidates.forEach(c -> candidateSet.add(c.object()));
    for (ModuleNode node : modules) {
      String who = node.display() + " (" + node.cls().simpleName() + ")";
      for (Scanned s : byClass.getOrDefault(node.cls().qualifiedName(), List.of())) {
        for (List<String> path : s.scan().weightReads()) {
          navigate(node.object(), path)
              .filter(candidateSet::contains)
              .ifPresent(t -> add(readers, t, who));
        }
        for (List<String> path : s.scan().escapes()) {
          Optional<PyObject> target = navigate(node.object(), path).filter(this::isModule);
          if (target.isPresent()) {
            for (PyObject c : subtree(target.get(), candidateSet)) {
              add(escapes, c, who);
            }
          }
        }
        if (!s.scan().unresolved().isEmpty()) {
          for (PyObject c : subtree(node.object(), candidateSet)) {
            add(unknown, c, who + " in " + s.method());
          }
        }
      }
    }
  }

  private record Scanned(String method, MethodScan scan) {}

  private boolean mentionsModuleType(String type) {
    Matcher m = TORCH_NAME.matcher(type);
    while (m.find()) {
      ClassDef c = archive.classes().get(m.group());
      if (c == null || c.isModule() || c.base().filter(b -> b.contains("Interface")).isPresent()) {
        return true;
      }
    }
    return false;
  }

  private void markAll(List<ModuleNode> candidates, Map<PyObject, Set<String>> map, String why) {
    for (ModuleNode c : candidates) {
      add(map, c.object(), why);
    }
  }

  private static void add(Map<PyObject, Set<String>> map, PyObject o, String why) {
    map.computeIfAbsent(o, k -> new LinkedHashSet<>()).add(why);
  }

  private Optional<PyObject> navigate(PyObject from, List<String> path) {
    PyValue at = from;
    for (String key : path) {
      if (!(at instanceof PyObject o)) {
        return Optional.empty();
      }
      Optional<PyValue> next = o.attribute(key);
      if (next.isEmpty()) {
        return Optional.empty();
      }
      at = next.get();
    }
    return at instanceof PyObject o ? Optional.of(o) : Optional.empty();
  }

  /** The candidates among {@code from} and the modules below it. */
  private List<PyObject> subtree(PyObject from, Set<PyObject> candidates) {
    List<PyObject> out = new ArrayList<>();
    Map<PyObject, Boolean> seen = new IdentityHashMap<>();
    List<PyObject> todo = new ArrayList<>(List.of(from));
    while (!todo.isEmpty()) {
      PyObject o = todo.remove(todo.size() - 1);
      if (seen.put(o, Boolean.TRUE) != null) {
        continue;
      }
      if (candidates.contains(o)) {
        out.add(o);
      }
      todo.addAll(children(o).values());
    }
    return out;
  }

  private void describe(List<ModuleNode> candidates) {
    Set<PyObject> candidateSet = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    candidates.forEach(c -> candidateSet.add(c.object()));
    for (ModuleNode m : modules) {
      Optional<MethodDef> forward = m.cls().method("forward");
      Optional<ForwardShape.LowRank> low = forward.flatMap(ForwardShape::lowRank);
      if (!candidateSet.contains(m.object())) {
        if (low.isPresent()) {
          lowRankLayer(m, low.get());
        }
        continue;
      }
      PyTensor w = tensor(m.object(), "weight").orElseThrow();
      Optional<ForwardShape.Linear> shape =
          forward.flatMap(ForwardShape::linear).filter(s -> s.weight().equals("weight"));
      String biasAttr = shape.isPresent() ? shape.get().bias().orElse("") : "bias";
      boolean hasBias = !biasAttr.isEmpty() && tensor(m.object(), biasAttr).isPresent();
      long[] size = w.size();
      if (size[0] > Integer.MAX_VALUE || size[1] > Integer.MAX_VALUE) {
        continue;
      }
      Layer layer = Layer.linear(m.name(), (int) size[0], (int) size[1], hasBias);
      List<String> why = reasons(m, w, shape, forward.isPresent());
      if (!why.isEmpty()) {
        layer = layer.withIneligible(String.join("; ", why));
      }
      linears.add(new LinearModule(layer, m, Optional.of(w), shape));
    }
  }

  private void lowRankLayer(ModuleNode m, ForwardShape.LowRank low) {
    PyTensor a = tensor(m.object(), low.a()).orElseThrow();
    PyTensor b = tensor(m.object(), low.b()).orElseThrow();
    long n = b.size()[0];
    long mm = a.size()[1];
    long r = a.size()[0];
    if (n > Integer.MAX_VALUE || mm > Integer.MAX_VALUE || r > Integer.MAX_VALUE) {
      return;
    }
    boolean hasBias = low.bias().flatMap(x -> tensor(m.object(), x)).isPresent();
    Layer layer = Layer.linear(m.name(), (int) n, (int) mm, hasBias).withLowRank((int) r);
    linears.add(new LinearModule(layer, m, Optional.empty(), Optional.empty()));
  }

  private List<String> reasons(
      ModuleNode m, PyTensor w, Optional<ForwardShape.Linear> shape, boolean hasForward) {
    List<String> why = new ArrayList<>();
    String self = m.display() + " (" + m.cls().simpleName() + ")";
    if (shape.isEmpty() && hasForward) {
      why.add("forward of " + m.cls().simpleName() + " is not the plain linear op");
    }
    Set<String> read = new LinkedHashSet<>(readers.getOrDefault(m.object(), Set.of()));
    if (shape.isEmpty()) {
      read.remove(self);
    }
    if (!read.isEmpty()) {
      why.add("weight read directly by " + String.join(", ", read));
    }
    Set<String> esc = escapes.getOrDefault(m.object(), Set.of());
    if (!esc.isEmpty()) {
      why.add(
          "module used as a value by " + String.join(", ", esc) + ", so its weight may be read");
    }
    Set<String> unk = unknown.getOrDefault(m.object(), Set.of());
    if (!unk.isEmpty()) {
      why.add("weight may be read by " + String.join(", ", unk));
    }
    if (shape.isEmpty() && !hasForward && why.isEmpty()) {
      why.add("class " + m.cls().simpleName() + " has no forward");
    }
    if (!m.cls().parameters().contains("weight")) {
      why.add("weight is not a parameter");
    }
    if (!w.storage().dtype().floating()) {
      why.add("weight is " + w.storage().dtype().name().toLowerCase(java.util.Locale.ROOT));
    }
    if (w.size()[0] == 0 || w.size()[1] == 0) {
      why.add("weight is empty");
    }
    if (archive.uses(w) != 1) {
      why.add("weight tensor is shared with another attribute (tied weights)");
    } else if (archive.tensorsOf(w.storage()) != 1) {
      why.add("weight storage is shared with other tensors");
    }
    Set<String> named = mentions.getOrDefault(m.cls().qualifiedName(), Set.of());
    if (!named.isEmpty()) {
      why.add("class " + m.cls().simpleName() + " is named in code of " + String.join(", ", named));
    }
    return why;
  }
}
