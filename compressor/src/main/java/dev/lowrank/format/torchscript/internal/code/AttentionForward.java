package dev.lowrank.format.torchscript.internal.code;

import java.util.List;
import java.util.Map;

/**
 * The forward lowrank writes for an {@code nn.MultiheadAttention} whose projections are factorized,
 * as TorchScript source: the computation of {@code F.multi_head_attention_forward} (PyTorch 1.13
 * and 2.x, without {@code bias_k/bias_v} and {@code add_zero_attn}) with each of the query, key and
 * value projections computed from the form it holds, and the output projection through {@code
 * out_proj}'s own forward (so that {@code out_proj} may be a factorized linear layer).
 *
 * <p>Masks follow PyTorch's semantics: a boolean {@code attn_mask} or {@code key_padding_mask}
 * masks with {@code -inf} where true, a float one is added, a 2-D {@code attn_mask} is broadcast
 * over the batch, and {@code uint8} masks are read as booleans. Dropout on the attention weights
 * applies in training mode only; {@code need_weights} returns the weights (averaged over heads
 * unless {@code average_attn_weights} is false); unbatched 2-D inputs and {@code batch_first} are
 * handled as {@code nn.MultiheadAttention} handles them. {@code is_causal} is a hint that PyTorch
 * only uses when {@code attn_mask} is the causal mask, which the mask then already says.
 */
public final class AttentionForward {

  private AttentionForward() {}

  /** Where one projection's weight is. */
  public enum Mode {
    /** A third of the packed {@code in_proj_weight}. */
    PACKED,
    /** A dense weight of its own, {@code <p>_proj_weight}. */
    DENSE,
    /** Two factors, {@code <p>_proj_lowrank_a} and {@code <p>_proj_lowrank_b}. */
    FACTORS
  }

  /**
   * Writes the forward.
   *
   * @param header the forward's header lines (from PyTorch's class, naming lowrank's)
   * @param params the forward's parameter names
   * @param indent the class body's indentation
   * @param batchFirst whether inputs are batch first
   * @param modes the mode of {@code q}, {@code k} and {@code v}
   * @param bias whether the module has {@code in_proj_bias}
   * @return the method's source, without a trailing line break
   */
  public static String forward(
      List<String> header,
      List<String> params,
      int indent,
      boolean batchFirst,
      Map<String, Mode> modes,
      boolean bias) {
    Body b = new Body(indent);
    b.line(0, "_lr_batched = torch.eq(torch.dim(query), 3)");
    b.line(0, "_lr_kpm : Optional[Tensor] = key_padding_mask");
    b.line(0, "if _lr_batched:");
    if (batchFirst) {
      b.line(1, "_lr_q = torch.transpose(query, 1, 0)");
      b.line(1, "_lr_k = torch.transpose(key, 1, 0)");
      b.line(1, "_lr_v = torch.transpose(value, 1, 0)");
    } else {
      b.line(1, "_lr_q = query");
      b.line(1, "_lr_k = key");
      b.line(1, "_lr_v = value");
    }
    b.line(0, "else:");
    b.line(1, "_lr_q = torch.unsqueeze(query, 1)");
    b.line(1, "_lr_k = torch.unsqueeze(key, 1)");
    b.line(1, "_lr_v = torch.unsqueeze(value, 1)");
    b.line(1, "if torch.__isnot__(key_padding_mask, None):");
    b.line(2, "_lr_kpm0 = unchecked_cast(Tensor, key_padding_mask)");
    b.line(2, "_lr_kpm = torch.unsqueeze(_lr_kpm0, 0)");
    b.line(1, "else:");
    b.line(2, "pass");
    b.line(0, "_lr_tgt = torch.size(_lr_q, 0)");
    b.line(0, "_lr_bsz = torch.size(_lr_q, 1)");
    b.line(0, "_lr_embed = torch.size(_lr_q, 2)");
    b.line(0, "_lr_src = torch.size(_lr_k, 0)");
    b.line(0, "_lr_heads = self.num_heads");
    b.line(0, "_lr_head_dim = torch.floordiv(_lr_embed, _lr_heads)");
    if (bias) {
      b.line(0, "_lr_bias = torch.chunk(unchecked_cast(Tensor, self.in_proj_bias), 3)");
    }
    if (modes.containsValue(Mode.PACKED)) {
      b.line(0, "_lr_w = torch.chunk(self.in_proj_weight, 3)");
    }
    List<String> names = List.of("q", "k", "v");
    for (int i = 0; i < 3; i++) {
      String p = names.get(i);
      String x = "_lr_" + p;
      String biasArg = bias ? ", _lr_bias[" + i + "]" : "";
      String proj =
          switch (modes.get(p)) {
            case PACKED -> "torch.linear(" + x + ", _lr_w[" + i + "]" + biasArg + ")";
            case DENSE -> "torch.linear(" + x + ", self." + p + "_proj_weight" + biasArg + ")";
            case FACTORS ->
                "torch.linear(torch.linear("
                    + x
                    + ", self."
                    + p
                    + "_proj_lowrank_a), self."
                    + p
                    + "_proj_lowrank_b"
                    + biasArg
                    + ")";
          };
      b.line(0, "_lr_p" + p + " = " + proj);
    }
    b.line(0, "_lr_bh = torch.mul(_lr_bsz, _lr_heads)");
    b.line(
        0,
        "_lr_qh = torch.transpose(torch.view(torch.contiguous(_lr_pq), [_lr_tgt, _lr_bh,"
            + " _lr_head_dim]), 0, 1)");
    b.line(
        0,
        "_lr_kh = torch.transpose(torch.view(torch.contiguous(_lr_pk), [torch.size(_lr_pk, 0),"
            + " _lr_bh, _lr_head_dim]), 0, 1)");
    b.line(
        0,
        "_lr_vh = torch.transpose(torch.view(torch.contiguous(_lr_pv), [torch.size(_lr_pv, 0),"
            + " _lr_bh, _lr_head_dim]), 0, 1)");
    b.line(0, "_lr_mask : Optional[Tensor] = None");
    b.line(0, "if torch.__isnot__(attn_mask, None):");
    b.line(1, "_lr_am = unchecked_cast(Tensor, attn_mask)");
    b.line(1, "if torch.eq(ops.prim.dtype(_lr_am), 0):");
    b.line(2, "_lr_am = torch.to(_lr_am, 11)");
    b.line(1, "else:");
    b.line(2, "pass");
    b.line(1, "if torch.eq(torch.dim(_lr_am), 2):");
    b.line(2, "_lr_am = torch.unsqueeze(_lr_am, 0)");
    b.line(1, "else:");
    b.line(2, "pass");
    b.line(1, "if torch.eq(ops.prim.dtype(_lr_am), 11):");
    b.line(
        2,
        "_lr_am = torch.masked_fill(torch.zeros_like(_lr_am, dtype=ops.prim.dtype(_lr_qh)),"
            + " _lr_am, -inf)");
    b.line(1, "else:");
    b.line(2, "pass");
    b.line(1, "_lr_mask = _lr_am");
    b.line(0, "else:");
    b.line(1, "pass");
    b.line(0, "if torch.__isnot__(_lr_kpm, None):");
    b.line(1, "_lr_kp = unchecked_cast(Tensor, _lr_kpm)");
    b.line(1, "_lr_kp = torch.view(_lr_kp, [_lr_bsz, 1, 1, _lr_src])");
    b.line(1, "_lr_kp = torch.expand(_lr_kp, [-1, _lr_heads, -1, -1])");
    b.line(1, "_lr_kp = torch.reshape(_lr_kp, [_lr_bh, 1, _lr_src])");
    b.line(1, "if torch.eq(ops.prim.dtype(_lr_kp), 11):");
    b.line(
        2,
        "_lr_kp = torch.masked_fill(torch.zeros_like(_lr_kp, dtype=ops.prim.dtype(_lr_qh)),"
            + " _lr_kp, -inf)");
    b.line(1, "else:");
    b.line(2, "pass");
    b.line(1, "if torch.__isnot__(_lr_mask, None):");
    b.line(2, "_lr_mask = torch.add(unchecked_cast(Tensor, _lr_mask), _lr_kp)");
    b.line(1, "else:");
    b.line(2, "_lr_mask = _lr_kp");
    b.line(0, "else:");
    b.line(1, "pass");
    b.line(0, "_lr_drop = self.dropout");
    b.line(0, "if torch.__not__(self.training):");
    b.line(1, "_lr_drop = 0.");
    b.line(0, "else:");
    b.line(1, "pass");
    b.line(0, "_lr_scaled = torch.div(_lr_qh, torch.sqrt(_lr_head_dim))");
    b.line(0, "_lr_kt = torch.transpose(_lr_kh, -2, -1)");
    b.line(0, "if torch.__isnot__(_lr_mask, None):");
    b.line(1, "_lr_att = torch.baddbmm(unchecked_cast(Tensor, _lr_mask), _lr_scaled, _lr_kt)");
    b.line(0, "else:");
    b.line(1, "_lr_att = torch.bmm(_lr_scaled, _lr_kt)");
    b.line(0, "_lr_att = torch.softmax(_lr_att, -1)");
    b.line(0, "if torch.gt(_lr_drop, 0.):");
    b.line(1, "_lr_att = torch.dropout(_lr_att, _lr_drop, True)");
    b.line(0, "else:");
    b.line(1, "pass");
    b.line(0, "_lr_out = torch.bmm(_lr_att, _lr_vh)");
    b.line(0, "_lr_out = torch.contiguous(torch.transpose(_lr_out, 0, 1))");
    b.line(0, "_lr_out = torch.view(_lr_out, [torch.mul(_lr_tgt, _lr_bsz), _lr_embed])");
    b.line(0, "_lr_proj = self.out_proj");
    b.line(0, "_lr_out = (_lr_proj).forward(_lr_out, )");
    b.line(0, "_lr_out = torch.view(_lr_out, [_lr_tgt, _lr_bsz, torch.size(_lr_out, 1)])");
    b.line(0, "_lr_weights : Optional[Tensor] = None");
    b.line(0, "if need_weights:");
    b.line(1, "_lr_wts = torch.view(_lr_att, [_lr_bsz, _lr_heads, _lr_tgt, _lr_src])");
    if (params.contains("average_attn_weights")) {
      b.line(1, "if average_attn_weights:");
      b.line(2, "_lr_wts = torch.div(torch.sum(_lr_wts, [1]), _lr_heads)");
      b.line(1, "else:");
      b.line(2, "pass");
    } else {
      b.line(1, "_lr_wts = torch.div(torch.sum(_lr_wts, [1]), _lr_heads)");
    }
    b.line(1, "if torch.__not__(_lr_batched):");
    b.line(2, "_lr_wts = torch.squeeze(_lr_wts, 0)");
    b.line(1, "else:");
    b.line(2, "pass");
    b.line(1, "_lr_weights = _lr_wts");
    b.line(0, "else:");
    b.line(1, "pass");
    b.line(0, "if _lr_batched:");
    b.line(1, batchFirst ? "_lr_out = torch.transpose(_lr_out, 1, 0)" : "pass");
    b.line(0, "else:");
    b.line(1, "_lr_out = torch.squeeze(_lr_out, 1)");
    b.line(0, "return (_lr_out, _lr_weights)");
    return String.join("\n", header) + "\n" + b;
  }

  /** Lines of a method body, indented by nesting level. */
  private static final class Body {
    private final StringBuilder sb = new StringBuilder();
    private final int indent;

    Body(int indent) {
      this.indent = indent;
    }

    void line(int level, String text) {
      if (!sb.isEmpty()) {
        sb.append('\n');
      }
      sb.append(" ".repeat(indent * (2 + level))).append(text);
    }

    @Override
    public String toString() {
      return sb.toString();
    }
  }
}
