package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.internal.code.ClassDef;
import dev.lowrank.format.torchscript.internal.code.CodeFile;
import dev.lowrank.format.torchscript.internal.code.EncoderForward;
import dev.lowrank.format.torchscript.internal.code.ForwardShape;
import dev.lowrank.format.torchscript.internal.code.LogicalLine;
import dev.lowrank.format.torchscript.internal.code.MethodDef;
import dev.lowrank.format.torchscript.internal.code.MethodScan;
import dev.lowrank.format.torchscript.internal.code.Token;
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
 * the parameter count, and the factorizable layers (linear layers, 2-D convolutions and the query,
 * key and value projections of attention modules), each with the reasons it must stay dense.
 *
 * <p>A module is a linear layer when it holds a 2-D {@code weight} tensor and either its forward is
 * exactly the linear op or its class is named {@code *Linear}; a convolution when it holds a 4-D
 * {@code weight} and its forward is a zero-padded {@code conv2d} or its class is named {@code
 * *Conv2d}. A layer may be factorized only when nothing but that forward can touch the weight: no
 * code of any class or function reads {@code .weight} of it, lets it escape as a value, or names
 * its class; its weight is a float parameter no other attribute or tensor shares.
 *
 * <p>Three kinds of code read weights that lowrank replaces rather than obeys, because it knows
 * what they compute: the forward of {@code nn.MultiheadAttention} (which passes {@code
 * in_proj_weight} and {@code out_proj.weight} to the attention function; lowrank writes a forward
 * that calls {@code out_proj} and computes each projection from its factors), and the forwards of a
 * scripted {@code nn.TransformerEncoderLayer} and {@code nn.TransformerEncoder} (which read the
 * weights to decide on PyTorch's fused fast path; lowrank writes the regular path, which computes
 * the same outputs). A traced model that baked in the fused op keeps those layers dense and says
 * so.
 */
final class ModelAnalysis {

  private static final Pattern TORCH_NAME =
      Pattern.compile("__torch__(\\.[A-Za-z_][A-Za-z0-9_]*)+");

  private static final Set<String> FUSED_OPS =
      Set.of("_transformer_encoder_layer_fwd", "_native_multi_head_attention");

  private final TorchScriptArchive archive;
  private final List<ModuleNode> modules = new ArrayList<>();
  private final Map<PyObject, ModuleNode> nodeOf = new IdentityHashMap<>();
  private final List<Site> sites = new ArrayList<>();
  private final Map<PyObject, Attention> attention = new IdentityHashMap<>();
  private final Map<String, EncoderForward.Host> hosts = new LinkedHashMap<>();
  private long parameterCount;

  private final Map<PyObject, Set<String>> readers = new IdentityHashMap<>();
  private final Map<PyObject, Set<String>> escapes = new IdentityHashMap<>();
  private final Map<PyObject, Set<String>> unknown = new IdentityHashMap<>();
  private final Map<String, Set<String>> mentions = new LinkedHashMap<>();
  private final Set<String> fusedReaders = new LinkedHashSet<>();

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

    String child(String attribute) {
      return name.isEmpty() ? attribute : name + "." + attribute;
    }
  }

  /** A factorizable layer of the archive: its description, its module and its dense weight. */
  sealed interface Site permits LinearModule, ConvModule, ProjectionSite {
    /** The layer as the SourceModel reports it. */
    Layer layer();

    /** The module that holds it (for a projection, the attention module). */
    ModuleNode node();

    /** The dense weight, as a tensor whose first axis is {@code n}; empty when factorized. */
    Optional<PyTensor> weight();
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
      Layer layer, ModuleNode node, Optional<PyTensor> weight, Optional<ForwardShape.Linear> shape)
      implements Site {}

  /**
   * A 2-D convolution of the archive.
   *
   * @param layer the layer as the SourceModel reports it
   * @param node its module
   * @param weight the dense kernel ({@code C_out x C_in x kh x kw}), empty for a factorized one
   * @param shape its plain convolution forward, when it has one
   */
  record ConvModule(
      Layer layer, ModuleNode node, Optional<PyTensor> weight, Optional<ForwardShape.Conv> shape)
      implements Site {}

  /**
   * A query, key or value projection of an attention module.
   *
   * @param layer the layer ({@code <module>.in_proj_q} ...)
   * @param node the attention module
   * @param attention what lowrank knows about the attention module
   * @param projection which projection
   */
  record ProjectionSite(
      Layer layer, ModuleNode node, Attention attention, Attention.Projection projection)
      implements Site {
    @Override
    public Optional<PyTensor> weight() {
      return projection.dense();
    }
  }

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
    a.findAttention();
    a.findHosts();
    List<ModuleNode> candidates = a.candidates();
    a.scanCode(candidates);
    a.describe(candidates);
    return a;
  }

  /** Every factorizable layer, in {@code named_modules()} order. */
  List<Site> sites() {
    return sites;
  }

  /** The linear layers. */
  List<LinearModule> linears() {
    return sites.stream()
        .filter(s -> s instanceof LinearModule)
        .map(s -> (LinearModule) s)
        .toList();
  }

  /** The attention modules by object. */
  Map<PyObject, Attention> attention() {
    return attention;
  }

  /** The classes whose forward lowrank replaces by the regular encoder path, by name. */
  Map<String, EncoderForward.Host> hosts() {
    return hosts;
  }

  long parameterCount() {
    return parameterCount;
  }

  Optional<ModuleNode> node(PyObject o) {
    return Optional.ofNullable(nodeOf.get(o));
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

  // ---- attention and encoder classes -----------------------------------------------------------

  private void findAttention() {
    for (ModuleNode m : modules) {
      if (Attention.isAttentionClass(m.cls())) {
        Attention.of(m).ifPresent(a -> attention.put(m.object(), a));
      }
    }
  }

  /** Scripted encoder classes, when every instance of a class agrees on what its forward needs. */
  private void findHosts() {
    Map<String, List<ModuleNode>> byClass = new LinkedHashMap<>();
    for (ModuleNode m : modules) {
      byClass.computeIfAbsent(m.cls().qualifiedName(), k -> new ArrayList<>()).add(m);
    }
    for (Map.Entry<String, List<ModuleNode>> e : byClass.entrySet()) {
      ClassDef c = e.getValue().get(0).cls();
      Optional<EncoderForward.Host> host = Optional.empty();
      for (ModuleNode m : e.getValue()) {
        Map<String, PyObject> kids = children(m.object());
        int layers = kids.containsKey("layers") ? layerCount(kids.get("layers")) : -1;
        Optional<EncoderForward.Host> h = EncoderForward.host(c, kids.keySet(), layers);
        if (h.isEmpty() || (host.isPresent() && !host.get().equals(h.get()))) {
          host = Optional.empty();
          break;
        }
        host = h;
      }
      host.ifPresent(h -> hosts.put(c.qualifiedName(), h));
    }
  }

  /** The number of children {@code "0" .. "n-1"} of a module list, -1 for another shape. */
  private int layerCount(PyObject list) {
    List<String> keys = new ArrayList<>(children(list).keySet());
    for (int i = 0; i < keys.size(); i++) {
      if (!keys.get(i).equals(Integer.toString(i))) {
        return -1;
      }
    }
    return keys.size();
  }

  // ---- layers ----------------------------------------------------------------------------------

  private List<ModuleNode> candidates() {
    List<ModuleNode> out = new ArrayList<>();
    for (ModuleNode m : modules) {
      if (attention.containsKey(m.object())) {
        out.add(m);
        continue;
      }
      Optional<MethodDef> forward = m.cls().method("forward");
      if (lowRankFactors(m, forward).isPresent()) {
        continue;
      }
      Optional<PyTensor> w = tensor(m.object(), "weight");
      if (w.isEmpty()) {
        continue;
      }
      if (w.get().dim() == 2) {
        boolean plain = forward.flatMap(ForwardShape::linear).isPresent();
        if (plain || m.cls().simpleName().endsWith("Linear")) {
          out.add(m);
        }
      } else if (w.get().dim() == 4) {
        boolean plain = ForwardShape.conv(m.cls()).isPresent();
        if (plain || m.cls().simpleName().endsWith("Conv2d")) {
          out.add(m);
        }
      }
    }
    return out;
  }

  /** The two factor tensors of a module lowrank factorized, with the kind of forward. */
  private Optional<PyTensor[]> lowRankFactors(ModuleNode m, Optional<MethodDef> forward) {
    Optional<ForwardShape.LowRank> low = forward.flatMap(ForwardShape::lowRank);
    if (low.isPresent()) {
      Optional<PyTensor> a = tensor(m.object(), low.get().a());
      Optional<PyTensor> b = tensor(m.object(), low.get().b());
      if (a.isPresent()
          && b.isPresent()
          && a.get().dim() == 2
          && b.get().dim() == 2
          && a.get().size()[0] == b.get().size()[1]) {
        return Optional.of(new PyTensor[] {a.get(), b.get()});
      }
    }
    Optional<ForwardShape.LowRankConv> conv = forward.flatMap(ForwardShape::lowRankConv);
    if (conv.isPresent()) {
      Optional<PyTensor> a = tensor(m.object(), conv.get().a());
      Optional<PyTensor> b = tensor(m.object(), conv.get().b());
      if (a.isPresent()
          && b.isPresent()
          && a.get().dim() == 4
          && b.get().dim() == 4
          && a.get().size()[0] == b.get().size()[1]) {
        return Optional.of(new PyTensor[] {a.get(), b.get()});
      }
    }
    return Optional.empty();
  }

  /** Whether lowrank replaces this method of this module rather than obeys it. */
  private boolean replaced(ModuleNode node, String method) {
    if (hosts.containsKey(node.cls().qualifiedName()) && method.equals("forward")) {
      return true;
    }
    Attention a = attention.get(node.object());
    // A rewritable attention module gets a class of lowrank's with only its own forward.
    return a != null && a.notRewritable().isEmpty();
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
      boolean plainConv = ForwardShape.conv(c).filter(s -> s.weight().equals("weight")).isPresent();
      for (MethodDef m : c.methods().values()) {
        if ((plainLinear || plainConv) && m.name().equals("forward")) {
          continue;
        }
        MethodScan scan = MethodScan.scan(m, true, moduleTypes);
        scans.add(new Scanned(m.name(), scan, fused(m)));
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
        if (replaced(node, s.method())) {
          continue;
        }
        String reader = s.fused().map(op -> who + ", whose traced forward calls " + op).orElse(who);
        if (s.fused().isPresent()) {
          fusedReaders.add(reader);
        }
        for (List<String> path : s.scan().weightReads()) {
          navigate(node.object(), path)
              .filter(candidateSet::contains)
              .ifPresent(t -> add(readers, t, reader));
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

  /** The fused PyTorch op a method calls with weights it read, if any (traced encoder layers). */
  private static Optional<String> fused(MethodDef m) {
    for (LogicalLine line : m.body()) {
      List<Token> t = line.tokens();
      for (int k = 2; k < t.size(); k++) {
        if (t.get(k).kind() == Token.Kind.NAME
            && FUSED_OPS.contains(t.get(k).text())
            && t.get(k - 1).isOp(".")
            && t.get(k - 2).isName("torch")) {
          return Optional.of("torch." + t.get(k).text());
        }
      }
    }
    return Optional.empty();
  }

  private record Scanned(String method, MethodScan scan, Optional<String> fused) {}

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
      if (!candidateSet.contains(m.object())) {
        lowRankLayer(m, forward);
        continue;
      }
      Attention att = attention.get(m.object());
      if (att != null) {
        describeAttention(m, att);
        continue;
      }
      PyTensor w = tensor(m.object(), "weight").orElseThrow();
      if (w.dim() == 4) {
        describeConv(m, w);
        continue;
      }
      Optional<ForwardShape.Linear> shape =
          forward.flatMap(ForwardShape::linear).filter(s -> s.weight().equals("weight"));
      String biasAttr = shape.isPresent() ? shape.get().bias().orElse("") : "bias";
      boolean hasBias = !biasAttr.isEmpty() && tensor(m.object(), biasAttr).isPresent();
      long[] size = w.size();
      if (size[0] > Integer.MAX_VALUE || size[1] > Integer.MAX_VALUE) {
        continue;
      }
      Layer layer = Layer.linear(m.name(), (int) size[0], (int) size[1], hasBias);
      List<String> why =
          reasons(m, w, shape.isPresent(), forward.isPresent(), "the plain linear op", "weight");
      if (!why.isEmpty()) {
        layer = layer.withIneligible(String.join("; ", why));
      }
      sites.add(new LinearModule(layer, m, Optional.of(w), shape));
    }
  }

  private void describeConv(ModuleNode m, PyTensor w) {
    long[] size = w.size();
    for (long s : size) {
      if (s < 1 || s > Integer.MAX_VALUE) {
        return;
      }
    }
    Optional<ForwardShape.Conv> shape =
        ForwardShape.conv(m.cls()).filter(s -> s.weight().equals("weight"));
    int groups = shape.map(ForwardShape.Conv::groups).orElse(groupsOf(m));
    int[] stride = shape.map(ForwardShape.Conv::stride).orElse(new int[] {1, 1});
    int[] padding = shape.map(ForwardShape.Conv::padding).orElse(new int[] {0, 0});
    int[] dilation = shape.map(ForwardShape.Conv::dilation).orElse(new int[] {1, 1});
    ConvGeometry g;
    try {
      g =
          new ConvGeometry(
              (int) size[0],
              Math.multiplyExact((int) size[1], groups),
              (int) size[2],
              (int) size[3],
              Math.max(1, stride[0]),
              Math.max(1, stride[1]),
              padding[0],
              padding[1],
              Math.max(1, dilation[0]),
              Math.max(1, dilation[1]),
              groups);
    } catch (IllegalArgumentException | ArithmeticException notAConvolution) {
      return;
    }
    String biasAttr = shape.isPresent() ? shape.get().bias().orElse("") : "bias";
    boolean hasBias = !biasAttr.isEmpty() && tensor(m.object(), biasAttr).isPresent();
    Layer layer = Layer.conv(m.name(), g, hasBias);
    List<String> why =
        reasons(
            m,
            w,
            shape.isPresent(),
            m.cls().method("forward").isPresent(),
            "a zero-padded conv2d (padding modes and string padding stay dense)",
            "weight");
    if (!g.ungrouped()) {
      why.add(
          0,
          "a grouped convolution ("
              + g.groups()
              + " groups"
              + (g.groups() == g.inChannels() ? ", depthwise" : "")
              + "): each group sees only its own channels, so it stays dense");
    }
    if (!why.isEmpty()) {
      layer = layer.withIneligible(String.join("; ", why));
    }
    sites.add(new ConvModule(layer, m, Optional.of(w), shape));
  }

  private static int groupsOf(ModuleNode m) {
    return m.cls().attributes().containsKey("groups")
        ? m.cls()
            .attributes()
            .get("groups")
            .value()
            .filter(v -> v.matches("[0-9]{1,9}"))
            .map(Integer::parseInt)
            .filter(g -> g >= 1)
            .orElse(1)
        : 1;
  }

  private void describeAttention(ModuleNode m, Attention att) {
    Set<String> read = new LinkedHashSet<>(readers.getOrDefault(m.object(), Set.of()));
    for (Attention.Projection p : att.projections()) {
      String name = m.child(p.layerSuffix());
      if (p.dense().isEmpty()) {
        int r = (int) p.a().orElseThrow().size()[0];
        int cols = (int) p.a().orElseThrow().size()[1];
        sites.add(
            new ProjectionSite(
                Layer.linear(name, att.embedDim(), cols, att.bias().isPresent()).withLowRank(r),
                m,
                att,
                p));
        continue;
      }
      PyTensor w = p.dense().get();
      if (w.size()[1] > Integer.MAX_VALUE) {
        continue;
      }
      Layer layer = Layer.linear(name, att.embedDim(), (int) w.size()[1], att.bias().isPresent());
      List<String> why = new ArrayList<>();
      att.notRewritable().ifPresent(why::add);
      if (!read.isEmpty()) {
        why.add(
            (p.packed() ? "in_proj_weight" : p.denseAttribute())
                + " read directly by "
                + String.join(", ", read)
                + fusedHint(read));
      }
      Set<String> esc = escapes.getOrDefault(m.object(), Set.of());
      if (!esc.isEmpty()) {
        why.add(
            "module used as a value by " + String.join(", ", esc) + ", so its weights may be read");
      }
      Set<String> unk = unknown.getOrDefault(m.object(), Set.of());
      if (!unk.isEmpty()) {
        why.add("weights may be read by " + String.join(", ", unk));
      }
      PyTensor whole = p.packed() ? tensor(m.object(), "in_proj_weight").orElseThrow() : w;
      String attr = p.packed() ? "in_proj_weight" : p.denseAttribute();
      if (!m.cls().parameters().contains(attr)) {
        why.add(attr + " is not a parameter");
      }
      if (!w.storage().dtype().floating()) {
        why.add(attr + " is " + w.storage().dtype().name().toLowerCase(java.util.Locale.ROOT));
      }
      if (w.size()[1] == 0) {
        why.add(attr + " is empty");
      }
      if (archive.uses(whole) != 1) {
        why.add(attr + " is shared with another attribute (tied weights)");
      } else if (archive.tensorsOf(whole.storage()) != 1) {
        why.add(attr + " storage is shared with other tensors");
      }
      Set<String> named = mentions.getOrDefault(m.cls().qualifiedName(), Set.of());
      if (!named.isEmpty()) {
        why.add(
            "class " + m.cls().simpleName() + " is named in code of " + String.join(", ", named));
      }
      if (!why.isEmpty()) {
        layer = layer.withIneligible(String.join("; ", why));
      }
      sites.add(new ProjectionSite(layer, m, att, p));
    }
  }

  private String fusedHint(Set<String> read) {
    for (String r : read) {
      if (fusedReaders.contains(r)) {
        return " (PyTorch's fused encoder path, baked in when the model was traced; script the"
            + " model with torch.jit.script to compress these layers)";
      }
    }
    return "";
  }

  private void lowRankLayer(ModuleNode m, Optional<MethodDef> forward) {
    Optional<PyTensor[]> factors = lowRankFactors(m, forward);
    if (factors.isEmpty()) {
      return;
    }
    PyTensor a = factors.get()[0];
    PyTensor b = factors.get()[1];
    for (long s : a.size()) {
      if (s > Integer.MAX_VALUE) {
        return;
      }
    }
    for (long s : b.size()) {
      if (s > Integer.MAX_VALUE) {
        return;
      }
    }
    int r = (int) a.size()[0];
    if (a.dim() == 2) {
      ForwardShape.LowRank low = forward.flatMap(ForwardShape::lowRank).orElseThrow();
      boolean hasBias = low.bias().flatMap(x -> tensor(m.object(), x)).isPresent();
      Layer layer =
          Layer.linear(m.name(), (int) b.size()[0], (int) a.size()[1], hasBias).withLowRank(r);
      sites.add(new LinearModule(layer, m, Optional.empty(), Optional.empty()));
      return;
    }
    ForwardShape.LowRankConv low = forward.flatMap(ForwardShape::lowRankConv).orElseThrow();
    // Channel form: A r x C_in x kh x kw, B C_out x r x 1 x 1; spatial: A r x C_in x kh x 1,
    // B C_out x r x 1 x kw.
    long[] as = a.size();
    long[] bs = b.size();
    ConvForm form = bs[2] == 1 && bs[3] == 1 ? ConvForm.CHANNEL : ConvForm.SPATIAL;
    if (form == ConvForm.SPATIAL && (as[3] != 1 || bs[2] != 1)) {
      return;
    }
    int[] f = low.first();
    int[] s = low.second();
    ConvGeometry g =
        new ConvGeometry(
            (int) bs[0],
            (int) as[1],
            (int) as[2],
            (int) (form == ConvForm.CHANNEL ? as[3] : bs[3]),
            f[0],
            form == ConvForm.CHANNEL ? f[1] : s[1],
            f[2],
            form == ConvForm.CHANNEL ? f[3] : s[3],
            f[4],
            form == ConvForm.CHANNEL ? f[5] : s[5],
            1);
    boolean hasBias = low.bias().flatMap(x -> tensor(m.object(), x)).isPresent();
    Layer layer = Layer.conv(m.name(), g, hasBias).withLowRank(r, form);
    sites.add(new ConvModule(layer, m, Optional.empty(), Optional.empty()));
  }

  private List<String> reasons(
      ModuleNode m, PyTensor w, boolean plain, boolean hasForward, String op, String attribute) {
    List<String> why = new ArrayList<>();
    String self = m.display() + " (" + m.cls().simpleName() + ")";
    if (!plain && hasForward) {
      why.add("forward of " + m.cls().simpleName() + " is not " + op);
    }
    Set<String> read = new LinkedHashSet<>(readers.getOrDefault(m.object(), Set.of()));
    if (!plain) {
      read.remove(self);
    }
    if (!read.isEmpty()) {
      why.add("weight read directly by " + String.join(", ", read) + fusedHint(read));
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
    if (!plain && !hasForward && why.isEmpty()) {
      why.add("class " + m.cls().simpleName() + " has no forward");
    }
    if (!m.cls().parameters().contains(attribute)) {
      why.add("weight is not a parameter");
    }
    if (!w.storage().dtype().floating()) {
      why.add("weight is " + w.storage().dtype().name().toLowerCase(java.util.Locale.ROOT));
    }
    for (long s : w.size()) {
      if (s == 0) {
        why.add("weight is empty");
        break;
      }
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
