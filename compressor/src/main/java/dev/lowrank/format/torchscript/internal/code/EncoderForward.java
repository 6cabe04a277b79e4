package dev.lowrank.format.torchscript.internal.code;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The regular path of PyTorch's scripted {@code nn.TransformerEncoderLayer} and {@code
 * nn.TransformerEncoder}, as TorchScript source: what lowrank gives them as forward once layers
 * under them are factorized. PyTorch's own forwards read {@code in_proj_weight}, {@code
 * out_proj.weight}, {@code linear1.weight} and {@code linear2.weight} to decide whether to take the
 * fused fast path ({@code torch._transformer_encoder_layer_fwd}, nested tensors); the fast path is
 * an optimization that computes what the regular path computes, so the regular path alone keeps the
 * outputs and lets those layers be factorized.
 *
 * <ul>
 *   <li>encoder layer: {@code x = norm1(src + _sa_block(src, mask, kpm)); return norm2(x +
 *       _ff_block(x))}, or with {@code norm_first}: {@code x = src + _sa_block(norm1(src), mask,
 *       kpm); return x + _ff_block(norm2(x))}, calling the class's own {@code _sa_block} and {@code
 *       _ff_block};
 *   <li>encoder: each layer of {@code layers} in turn with the mask and key padding mask, then
 *       {@code norm} when it has one.
 * </ul>
 */
public final class EncoderForward {

  private static final Pattern TORCH_QUALIFIER =
      Pattern.compile("__torch__\\.torch\\.nn\\.modules\\.transformer(\\.___torch_mangle_\\d+)?");

  private static final List<String> LAYER_ARGS =
      List.of("self", "src", "src_mask", "src_key_padding_mask", "is_causal");

  private static final List<String> ENCODER_ARGS =
      List.of("self", "src", "mask", "src_key_padding_mask", "is_causal");

  private EncoderForward() {}

  /** The two classes. */
  public enum Kind {
    /** {@code nn.TransformerEncoderLayer}. */
    LAYER,
    /** {@code nn.TransformerEncoder}. */
    ENCODER
  }

  /**
   * What the regular path of one class needs.
   *
   * @param kind which class
   * @param normFirst for a layer, whether it normalizes before each block
   * @param causal for a layer, whether its {@code _sa_block} takes {@code is_causal} and its
   *     forward has it to pass on
   * @param layers for an encoder, how many layers {@code layers} holds
   * @param norm for an encoder, whether it has a final {@code norm} module
   */
  public record Host(Kind kind, boolean normFirst, boolean causal, int layers, boolean norm) {}

  /**
   * Recognizes a scripted encoder layer or encoder class.
   *
   * @param c the class
   * @param children the names of an instance's module children
   * @param layers for an encoder, the number of children of its {@code layers} list (-1 if not a
   *     list {@code 0 .. n-1})
   * @return what its regular path needs, empty for any other class
   */
  public static Optional<Host> host(ClassDef c, Set<String> children, int layers) {
    String q = c.qualifiedName();
    if (!TORCH_QUALIFIER.matcher(q.substring(0, q.lastIndexOf('.'))).matches()) {
      return Optional.empty();
    }
    Optional<MethodDef> forward = c.method("forward");
    if (forward.isEmpty() || !forward.get().returnType().equals(Optional.of("Tensor"))) {
      return Optional.empty();
    }
    List<String> names = forward.get().params().stream().map(Param::name).toList();
    if (c.simpleName().equals("TransformerEncoderLayer")) {
      Optional<MethodDef> sa = c.method("_sa_block");
      if (!prefix(names, LAYER_ARGS)
          || sa.isEmpty()
          || c.method("_ff_block").isEmpty()
          || sa.get().params().size() < 4
          || !children.containsAll(Set.of("norm1", "norm2"))) {
        return Optional.empty();
      }
      Optional<Boolean> normFirst = finalBool(c, "norm_first");
      if (normFirst.isEmpty()) {
        return Optional.empty();
      }
      boolean causal = sa.get().params().size() >= 5 && names.size() >= 5;
      return Optional.of(new Host(Kind.LAYER, normFirst.get(), causal, 0, false));
    }
    if (c.simpleName().equals("TransformerEncoder")) {
      if (!prefix(names, ENCODER_ARGS) || layers < 1 || !children.contains("layers")) {
        return Optional.empty();
      }
      boolean norm = children.contains("norm");
      if (!norm && !finalNone(c, "norm")) {
        return Optional.empty();
      }
      return Optional.of(new Host(Kind.ENCODER, false, false, layers, norm));
    }
    return Optional.empty();
  }

  private static boolean prefix(List<String> names, List<String> expected) {
    return names.size() >= 4
        && names.size() <= expected.size()
        && names.equals(expected.subList(0, names.size()));
  }

  private static Optional<Boolean> finalBool(ClassDef c, String name) {
    AttributeDecl d = c.attributes().get(name);
    if (d == null || d.value().isEmpty()) {
      return Optional.empty();
    }
    return switch (d.value().get()) {
      case "True" -> Optional.of(true);
      case "False" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  private static boolean finalNone(ClassDef c, String name) {
    AttributeDecl d = c.attributes().get(name);
    return d != null && d.value().filter("None"::equals).isPresent();
  }

  /**
   * Writes the regular-path forward of a class: its original header, renamed, and the body.
   *
   * @param c the class
   * @param h what {@link #host} found
   * @param header the original forward's header lines, already naming the new class
   * @return the method's source lines, without a trailing line break
   */
  public static String forward(ClassDef c, Host h, List<String> header) {
    String in = " ".repeat(c.memberIndent() * 2);
    StringBuilder sb = new StringBuilder(String.join("\n", header)).append('\n');
    if (h.kind() == Kind.LAYER) {
      String causal = h.causal() ? ", is_causal" : "";
      sb.append(in).append("norm1 = self.norm1\n");
      sb.append(in).append("norm2 = self.norm2\n");
      if (h.normFirst()) {
        sb.append(in)
            .append("_lr_sa = (self)._sa_block((norm1).forward(src, ), src_mask,")
            .append(" src_key_padding_mask")
            .append(causal)
            .append(", )\n");
        sb.append(in).append("_lr_x = torch.add(src, _lr_sa)\n");
        sb.append(in).append("_lr_ff = (self)._ff_block((norm2).forward(_lr_x, ), )\n");
        sb.append(in).append("return torch.add(_lr_x, _lr_ff)");
      } else {
        sb.append(in)
            .append("_lr_sa = (self)._sa_block(src, src_mask, src_key_padding_mask")
            .append(causal)
            .append(", )\n");
        sb.append(in).append("_lr_x = (norm1).forward(torch.add(src, _lr_sa), )\n");
        sb.append(in).append("_lr_ff = (self)._ff_block(_lr_x, )\n");
        sb.append(in).append("return (norm2).forward(torch.add(_lr_x, _lr_ff), )");
      }
      return sb.toString();
    }
    sb.append(in).append("layers = self.layers\n");
    sb.append(in).append("_lr_out = src\n");
    for (int i = 0; i < h.layers(); i++) {
      sb.append(in).append("_lr_").append(i).append(" = getattr(layers, \"").append(i);
      sb.append("\")\n");
      sb.append(in).append("_lr_out = (_lr_").append(i);
      sb.append(").forward(_lr_out, mask, src_key_padding_mask, )\n");
    }
    if (h.norm()) {
      sb.append(in).append("norm = self.norm\n");
      sb.append(in).append("_lr_out = (norm).forward(_lr_out, )\n");
    }
    sb.append(in).append("return _lr_out");
    return sb.toString();
  }
}
