package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.torchscript.internal.ModelAnalysis.ModuleNode;
import dev.lowrank.format.torchscript.internal.code.ClassDef;
import dev.lowrank.format.torchscript.internal.code.MethodDef;
import dev.lowrank.format.torchscript.internal.code.Param;
import dev.lowrank.format.torchscript.internal.pickle.PyValue;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyBool;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyNone;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An {@code nn.MultiheadAttention} module of an archive (PyTorch's own class, or the class lowrank
 * writes for one): where its query, key and value projections are (the packed {@code
 * in_proj_weight}, separate {@code q/k/v_proj_weight}, or lowrank's factors), and whether lowrank
 * can give it a forward of its own, the one that calls {@code out_proj}'s forward and computes the
 * projections from whichever form each holds.
 *
 * @param node the module
 * @param embedDim {@code E}, the rows of each projection
 * @param projections the query, key and value projections, in that order
 * @param bias the packed {@code in_proj_bias} ({@code 3E}), empty when the module has none
 * @param batchFirst whether inputs are {@code (batch, seq, feature)}
 * @param forward the forward whose signature a rewritten class keeps
 * @param notRewritable why lowrank cannot give the module its own forward, empty when it can
 */
record Attention(
    ModuleNode node,
    int embedDim,
    List<Projection> projections,
    Optional<PyTensor> bias,
    boolean batchFirst,
    Optional<MethodDef> forward,
    Optional<String> notRewritable) {

  /** The simple class name lowrank writes for a rewritten attention module. */
  static final String LOW_RANK_CLASS = "LowRankMultiheadAttention";

  /** Names of the three projections, the suffixes of their layer names. */
  static final List<String> NAMES = List.of("q", "k", "v");

  private static final Pattern TORCH_CLASS =
      Pattern.compile("__torch__\\.torch\\.nn\\.modules\\.activation(\\.___torch_mangle_\\d+)?");

  private static final List<String> SIGNATURE =
      List.of(
          "self",
          "query",
          "key",
          "value",
          "key_padding_mask",
          "need_weights",
          "attn_mask",
          "average_attn_weights",
          "is_causal");

  /**
   * One projection.
   *
   * @param name {@code q}, {@code k} or {@code v}
   * @param dense its weight, {@code E x d}: a view of the packed {@code in_proj_weight} or a tensor
   *     of its own; empty when factorized
   * @param packed whether {@code dense} is a third of the packed weight
   * @param a the first factor ({@code r x d}) when factorized
   * @param b the second factor ({@code E x r}) when factorized
   */
  record Projection(
      String name,
      Optional<PyTensor> dense,
      boolean packed,
      Optional<PyTensor> a,
      Optional<PyTensor> b) {

    /** The layer name suffix, e.g. {@code in_proj_q}. */
    String layerSuffix() {
      return "in_proj_" + name;
    }

    /** The attribute of a dense projection of its own in lowrank's class. */
    String denseAttribute() {
      return name + "_proj_weight";
    }

    /** The attribute of the first factor in lowrank's class. */
    String factorA() {
      return name + "_proj_lowrank_a";
    }

    /** The attribute of the second factor in lowrank's class. */
    String factorB() {
      return name + "_proj_lowrank_b";
    }
  }

  /** Whether a class is PyTorch's attention module or lowrank's rewrite of one. */
  static boolean isAttentionClass(ClassDef c) {
    String q = c.qualifiedName();
    String qualifier = q.substring(0, q.lastIndexOf('.'));
    return (c.simpleName().equals("MultiheadAttention") && TORCH_CLASS.matcher(qualifier).matches())
        || (c.simpleName().equals(LOW_RANK_CLASS) && RewritePlan.isLowRankQualifier(qualifier));
  }

  /**
   * Reads an attention module's projections, or returns empty when its weights are not in any
   * layout lowrank knows.
   *
   * @param node the module, of an attention class
   * @return the attention module
   */
  static Optional<Attention> of(ModuleNode node) {
    List<Projection> projections = new ArrayList<>();
    Optional<PyTensor> packed = ModelAnalysis.tensor(node.object(), "in_proj_weight");
    int e;
    if (packed.isPresent()) {
      PyTensor w = packed.get();
      if (w.dim() != 2 || w.size()[0] % 3 != 0 || w.size()[0] > 3L * Integer.MAX_VALUE) {
        return Optional.empty();
      }
      e = (int) (w.size()[0] / 3);
      for (int k = 0; k < 3; k++) {
        long[] stride = w.stride();
        PyTensor view =
            new PyTensor(
                w.storage(),
                w.offset() + (long) k * e * stride[0],
                new long[] {e, w.size()[1]},
                stride,
                w.requiresGrad(),
                w.extraArgs());
        projections.add(
            new Projection(
                NAMES.get(k), Optional.of(view), true, Optional.empty(), Optional.empty()));
      }
    } else {
      e = -1;
      for (String n : NAMES) {
        Optional<PyTensor> dense = ModelAnalysis.tensor(node.object(), n + "_proj_weight");
        Optional<PyTensor> a = ModelAnalysis.tensor(node.object(), n + "_proj_lowrank_a");
        Optional<PyTensor> b = ModelAnalysis.tensor(node.object(), n + "_proj_lowrank_b");
        long rows;
        if (dense.isPresent() && dense.get().dim() == 2) {
          rows = dense.get().size()[0];
          projections.add(new Projection(n, dense, false, Optional.empty(), Optional.empty()));
        } else if (a.isPresent()
            && b.isPresent()
            && a.get().dim() == 2
            && b.get().dim() == 2
            && a.get().size()[0] == b.get().size()[1]) {
          rows = b.get().size()[0];
          projections.add(new Projection(n, Optional.empty(), false, a, b));
        } else {
          return Optional.empty();
        }
        if (rows > Integer.MAX_VALUE || (e >= 0 && rows != e)) {
          return Optional.empty();
        }
        e = (int) rows;
      }
    }
    Optional<PyTensor> bias = ModelAnalysis.tensor(node.object(), "in_proj_bias");
    if (bias.isPresent() && (bias.get().dim() != 1 || bias.get().size()[0] != 3L * e)) {
      return Optional.empty();
    }
    Optional<MethodDef> forward = node.cls().method("forward");
    boolean batchFirst =
        node.cls().attributes().containsKey("batch_first")
            ? node.cls().attributes().get("batch_first").value().filter("True"::equals).isPresent()
            : node.object()
                .attribute("batch_first")
                .filter(v -> v.equals(new PyBool(true)))
                .isPresent();
    Optional<String> why = obstacle(node, forward, e);
    return Optional.of(new Attention(node, e, projections, bias, batchFirst, forward, why));
  }

  private static Optional<String> obstacle(ModuleNode node, Optional<MethodDef> forward, int e) {
    String cls = node.cls().simpleName();
    if (forward.isEmpty()) {
      return Optional.of(
          "class "
              + cls
              + " has no forward (a traced model: its caller computes the attention with the"
              + " weights inline); script the model (torch.jit.script) to compress it");
    }
    List<Param> ps = forward.get().params();
    List<String> names = ps.stream().map(Param::name).toList();
    if (names.size() < 7
        || names.size() > SIGNATURE.size()
        || !names.equals(SIGNATURE.subList(0, names.size()))
        || !forward.get().returnType().filter(t -> t.startsWith("Tuple[Tensor,")).isPresent()) {
      return Optional.of(
          "forward of " + cls + " takes " + names + ", not the arguments lowrank rewrites");
    }
    for (String must : List.of("num_heads", "dropout", "training")) {
      if (node.object().attribute(must).isEmpty()) {
        return Optional.of(cls + " lacks its attribute " + must);
      }
    }
    for (String none : List.of("bias_k", "bias_v")) {
      Optional<PyValue> v = node.object().attribute(none);
      if (v.isPresent() && !(v.get() instanceof PyNone)) {
        return Optional.of(
            "it adds bias_k/bias_v to the keys and values (add_bias_kv=True), which lowrank's"
                + " attention does not support");
      }
    }
    if (node.object()
        .attribute("add_zero_attn")
        .filter(v -> v.equals(new PyBool(true)))
        .isPresent()) {
      return Optional.of("add_zero_attn=True is not supported by lowrank's attention");
    }
    if (e < 1) {
      return Optional.of("its projections are empty");
    }
    return Optional.empty();
  }

  /**
   * Returns the projections by name.
   *
   * @return q, k and v
   */
  Map<String, Projection> byName() {
    Map<String, Projection> out = new LinkedHashMap<>();
    projections.forEach(p -> out.put(p.name(), p));
    return out;
  }
}
