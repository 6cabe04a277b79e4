package dev.lowrank.format.torchscript.internal.code;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Recognizes the forwards lowrank understands, in any of the ways TorchScript prints them
 * (attributes read inline or through locals, scripted or traced):
 *
 * <ul>
 *   <li>the plain linear op: {@code return torch.linear(input, self.weight, self.bias)} (bias
 *       {@code None} or absent allowed);
 *   <li>the factorized op lowrank writes: {@code return torch.linear(torch.linear(input,
 *       self.lowrank_a), self.lowrank_b, self.bias)};
 *   <li>the plain 2-D convolution with zero padding: scripted {@code nn.Conv2d}'s {@code return
 *       self._conv_forward(input, self.weight, self.bias)} with {@code _conv_forward} returning
 *       {@code torch.conv2d(input, weight, bias, [sh, sw], [ph, pw], [dh, dw](, groups))}, traced
 *       {@code torch._convolution(input, self.weight, self.bias, stride, padding, dilation, False,
 *       [0, 0], groups, ...)}, or {@code torch.conv2d} on the attributes directly;
 *   <li>the factorized convolution lowrank writes: {@code return torch.conv2d(torch.conv2d(input,
 *       self.lowrank_a, None, ...), self.lowrank_b, self.bias, ...)}.
 * </ul>
 *
 * <p>The body may hold nothing else than local aliases and this return, so a match proves that the
 * method computes exactly that op.
 */
public final class ForwardShape {

  private static final Set<String> LINEAR_OPS =
      Set.of("torch.linear", "torch._C._nn.linear", "torch.nn.functional.linear");

  private ForwardShape() {}

  /**
   * A plain linear forward.
   *
   * @param input the name of the input parameter
   * @param weight the attribute passed as the weight
   * @param bias the attribute passed as the bias, empty when {@code None} or absent
   */
  public record Linear(String input, String weight, Optional<String> bias) {}

  /**
   * A factorized forward.
   *
   * @param input the name of the input parameter
   * @param a the attribute applied first ({@code r x m})
   * @param b the attribute applied second ({@code n x r})
   * @param bias the attribute passed as the bias, empty when {@code None} or absent
   */
  public record LowRank(String input, String a, String b, Optional<String> bias) {}

  /**
   * A plain convolution forward.
   *
   * @param input the name of the input parameter
   * @param weight the attribute passed as the kernel
   * @param bias the attribute passed as the bias, empty when {@code None}
   * @param stride {@code [sh, sw]}
   * @param padding {@code [ph, pw]}
   * @param dilation {@code [dh, dw]}
   * @param groups the groups
   */
  public record Conv(
      String input,
      String weight,
      Optional<String> bias,
      int[] stride,
      int[] padding,
      int[] dilation,
      int groups) {}

  /**
   * A factorized convolution forward: two chained {@code conv2d} calls.
   *
   * @param input the name of the input parameter
   * @param a the attribute of the first kernel
   * @param b the attribute of the second kernel
   * @param bias the attribute passed as the bias of the second, empty when {@code None}
   * @param first stride, padding and dilation of the first ({@code [sh, sw, ph, pw, dh, dw]})
   * @param second the same of the second
   */
  public record LowRankConv(
      String input, String a, String b, Optional<String> bias, int[] first, int[] second) {}

  private sealed interface Expr permits Name, Attr, Call, NoneLit, Num, ListLit, Str {}

  private record Name(String name) implements Expr {}

  private record Attr(Expr base, String name) implements Expr {}

  private record Call(Expr fn, List<Expr> args) implements Expr {}

  private record NoneLit() implements Expr {}

  private record Num(long value) implements Expr {}

  private record ListLit(List<Expr> items) implements Expr {}

  private record Str(String value) implements Expr {}

  private static final Set<String> CONV_OPS = Set.of("torch.conv2d", "torch.nn.functional.conv2d");

  /**
   * Matches a plain linear forward.
   *
   * @param forward a class's {@code forward}
   * @return the attributes it uses, if it is exactly the linear op
   */
  public static Optional<Linear> linear(MethodDef forward) {
    Optional<String> input = input(forward);
    Optional<Expr> ret = input.flatMap(in -> returned(forward, in));
    if (ret.isEmpty()) {
      return Optional.empty();
    }
    return linearCall(ret.get(), new Name(input.get()))
        .flatMap(
            parts ->
                selfAttr(parts.get(1))
                    .flatMap(w -> bias(parts).map(b -> new Linear(input.get(), w, b))));
  }

  /**
   * Matches a factorized forward.
   *
   * @param forward a class's {@code forward}
   * @return the attributes it uses, if it is exactly {@code linear(linear(x, A), B, bias)}
   */
  public static Optional<LowRank> lowRank(MethodDef forward) {
    Optional<String> input = input(forward);
    Optional<Expr> ret = input.flatMap(in -> returned(forward, in));
    if (ret.isEmpty() || !(ret.get() instanceof Call outer) || outer.args().isEmpty()) {
      return Optional.empty();
    }
    Optional<List<Expr>> parts = linearCall(outer, outer.args().get(0));
    Optional<List<Expr>> inner = linearCall(outer.args().get(0), new Name(input.get()));
    if (parts.isEmpty()
        || inner.isEmpty()
        || !bias(inner.get()).equals(Optional.of(Optional.empty()))) {
      return Optional.empty();
    }
    Optional<String> a = selfAttr(inner.get().get(1));
    Optional<String> b = selfAttr(parts.get().get(1));
    Optional<Optional<String>> bias = bias(parts.get());
    if (a.isEmpty() || b.isEmpty() || bias.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new LowRank(input.get(), a.get(), b.get(), bias.get()));
  }

  /**
   * Matches a plain 2-D convolution forward.
   *
   * @param cls the class whose {@code forward} it is (its {@code _conv_forward} may be called)
   * @return the attributes and geometry, if the forward is exactly a zero-padded conv2d
   */
  public static Optional<Conv> conv(ClassDef cls) {
    Optional<MethodDef> forward = cls.method("forward");
    Optional<String> input = forward.flatMap(ForwardShape::input);
    Optional<Expr> ret = input.flatMap(in -> returned(forward.get(), in));
    if (ret.isEmpty() || !(ret.get() instanceof Call call)) {
      return Optional.empty();
    }
    Name x = new Name(input.get());
    Optional<String> fn = dotted(call.fn());
    if (fn.isPresent() && CONV_OPS.contains(fn.get())) {
      return convCall(call, x, input.get());
    }
    if (fn.filter("torch._convolution"::equals).isPresent()) {
      return tracedConv(call, x, input.get());
    }
    // self._conv_forward(input, self.weight, self.bias): the helper's own body is the conv2d.
    if (call.fn() instanceof Attr helper
        && helper.base().equals(new Name("self"))
        && call.args().size() == 3
        && call.args().get(0).equals(x)) {
      Optional<MethodDef> body = cls.method(helper.name());
      if (body.isEmpty() || body.get().params().size() != 4) {
        return Optional.empty();
      }
      List<Param> ps = body.get().params();
      Optional<Expr> inner = returned(body.get(), ps.get(1).name());
      if (inner.isEmpty() || !(inner.get() instanceof Call c)) {
        return Optional.empty();
      }
      if (!dotted(c.fn()).filter(CONV_OPS::contains).isPresent()
          || c.args().size() < 3
          || !c.args().get(0).equals(new Name(ps.get(1).name()))
          || !c.args().get(1).equals(new Name(ps.get(2).name()))
          || !c.args().get(2).equals(new Name(ps.get(3).name()))) {
        return Optional.empty();
      }
      List<Expr> args = new ArrayList<>(c.args());
      args.set(0, x);
      args.set(1, call.args().get(1));
      args.set(2, call.args().get(2));
      return convCall(new Call(c.fn(), args), x, input.get());
    }
    return Optional.empty();
  }

  /**
   * Matches the factorized convolution forward lowrank writes.
   *
   * @param forward a class's {@code forward}
   * @return its kernels, bias and geometry, if it is exactly two chained conv2d calls
   */
  public static Optional<LowRankConv> lowRankConv(MethodDef forward) {
    Optional<String> input = input(forward);
    Optional<Expr> ret = input.flatMap(in -> returned(forward, in));
    if (ret.isEmpty()
        || !(ret.get() instanceof Call outer)
        || outer.args().isEmpty()
        || !(outer.args().get(0) instanceof Call inner)) {
      return Optional.empty();
    }
    Optional<Conv> second = convCall(outer, inner, input.get());
    Optional<Conv> first = convCall(inner, new Name(input.get()), input.get());
    if (first.isEmpty() || second.isEmpty() || first.get().bias().isPresent()) {
      return Optional.empty();
    }
    if (first.get().groups() != 1 || second.get().groups() != 1) {
      return Optional.empty();
    }
    return Optional.of(
        new LowRankConv(
            input.get(),
            first.get().weight(),
            second.get().weight(),
            second.get().bias(),
            geometry(first.get()),
            geometry(second.get())));
  }

  private static int[] geometry(Conv c) {
    return new int[] {
      c.stride()[0], c.stride()[1], c.padding()[0], c.padding()[1], c.dilation()[0], c.dilation()[1]
    };
  }

  /** {@code conv2d(x, self.w, self.b | None, stride, padding, dilation(, groups))}. */
  private static Optional<Conv> convCall(Call c, Expr x, String input) {
    if (!dotted(c.fn()).filter(CONV_OPS::contains).isPresent()
        || c.args().size() < 6
        || c.args().size() > 7
        || !c.args().get(0).equals(x)) {
      return Optional.empty();
    }
    Optional<String> w = selfAttr(c.args().get(1));
    Optional<Optional<String>> b = optionalSelfAttr(c.args().get(2));
    Optional<int[]> stride = pair(c.args().get(3));
    Optional<int[]> padding = pair(c.args().get(4));
    Optional<int[]> dilation = pair(c.args().get(5));
    long groups = c.args().size() == 7 && c.args().get(6) instanceof Num n ? n.value() : 1;
    if (c.args().size() == 7 && !(c.args().get(6) instanceof Num)) {
      return Optional.empty();
    }
    if (w.isEmpty()
        || b.isEmpty()
        || stride.isEmpty()
        || padding.isEmpty()
        || dilation.isEmpty()
        || groups < 1
        || groups > Integer.MAX_VALUE) {
      return Optional.empty();
    }
    return Optional.of(
        new Conv(
            input, w.get(), b.get(), stride.get(), padding.get(), dilation.get(), (int) groups));
  }

  /** The traced {@code _convolution}: not transposed, no output padding. */
  private static Optional<Conv> tracedConv(Call c, Expr x, String input) {
    List<Expr> a = c.args();
    if (a.size() < 9 || !a.get(6).equals(new Name("False"))) {
      return Optional.empty();
    }
    Optional<int[]> outputPadding = pair(a.get(7));
    if (outputPadding.isEmpty() || outputPadding.get()[0] != 0 || outputPadding.get()[1] != 0) {
      return Optional.empty();
    }
    List<Expr> args = new ArrayList<>(a.subList(0, 6));
    args.add(a.get(8));
    return convCall(new Call(new Name("torch.conv2d"), args), x, input);
  }

  private static Optional<int[]> pair(Expr e) {
    if (!(e instanceof ListLit l) || l.items().size() != 2) {
      return Optional.empty();
    }
    int[] out = new int[2];
    for (int i = 0; i < 2; i++) {
      if (!(l.items().get(i) instanceof Num n) || n.value() < 0 || n.value() > 1 << 20) {
        return Optional.empty();
      }
      out[i] = (int) n.value();
    }
    return Optional.of(out);
  }

  private static Optional<Optional<String>> optionalSelfAttr(Expr e) {
    if (e instanceof NoneLit) {
      return Optional.of(Optional.empty());
    }
    return selfAttr(e).map(Optional::of);
  }

  private static Optional<String> input(MethodDef forward) {
    List<Param> ps = forward.params();
    if (ps.size() != 2
        || !ps.get(0).name().equals("self")
        || !ps.get(1).type().equals("Tensor")
        || ps.get(1).hasDefault()
        || !forward.returnType().equals(Optional.of("Tensor"))) {
      return Optional.empty();
    }
    return Optional.of(ps.get(1).name());
  }

  /** The {@code linear} call's arguments if {@code e} is one whose first argument is {@code x}. */
  private static Optional<List<Expr>> linearCall(Expr e, Expr x) {
    if (!(e instanceof Call c)
        || !dotted(c.fn()).filter(LINEAR_OPS::contains).isPresent()
        || c.args().size() < 2
        || c.args().size() > 3
        || !c.args().get(0).equals(x)) {
      return Optional.empty();
    }
    return Optional.of(c.args());
  }

  private static Optional<Optional<String>> bias(List<Expr> args) {
    if (args.size() == 2 || args.get(2) instanceof NoneLit) {
      return Optional.of(Optional.empty());
    }
    return selfAttr(args.get(2)).map(Optional::of);
  }

  private static Optional<String> selfAttr(Expr e) {
    if (e instanceof Attr a && a.base().equals(new Name("self"))) {
      return Optional.of(a.name());
    }
    return Optional.empty();
  }

  private static Optional<String> dotted(Expr e) {
    if (e instanceof Name n) {
      return Optional.of(n.name());
    }
    if (e instanceof Attr a) {
      return dotted(a.base()).map(b -> b + "." + a.name());
    }
    return Optional.empty();
  }

  /** The returned expression with every local replaced by its definition. */
  private static Optional<Expr> returned(MethodDef m, String input) {
    Map<String, Expr> defs = new HashMap<>();
    List<LogicalLine> body = m.body();
    if (body.isEmpty()) {
      return Optional.empty();
    }
    for (int k = 0; k < body.size(); k++) {
      List<Token> t = body.get(k).tokens();
      boolean last = k == body.size() - 1;
      if (last) {
        if (!t.get(0).isName("return")) {
          return Optional.empty();
        }
        return parse(t, 1).map(e -> inline(e, defs, 0)).filter(e -> e != null);
      }
      if (t.size() < 3
          || t.get(0).kind() != Token.Kind.NAME
          || !t.get(1).isOp("=")
          || t.get(0).isName("self")
          || t.get(0).isName(input)
          || defs.containsKey(t.get(0).text())) {
        return Optional.empty();
      }
      Optional<Expr> value = parse(t, 2);
      if (value.isEmpty()) {
        return Optional.empty();
      }
      defs.put(t.get(0).text(), value.get());
    }
    return Optional.empty();
  }

  private static Expr inline(Expr e, Map<String, Expr> defs, int depth) {
    if (depth > 50) {
      return null;
    }
    if (e instanceof Name n) {
      Expr d = defs.get(n.name());
      return d == null ? e : inline(d, defs, depth + 1);
    }
    if (e instanceof Attr a) {
      Expr base = inline(a.base(), defs, depth + 1);
      return base == null ? null : new Attr(base, a.name());
    }
    if (e instanceof Call c) {
      Expr fn = inline(c.fn(), defs, depth + 1);
      List<Expr> args = new ArrayList<>();
      for (Expr arg : c.args()) {
        Expr x = inline(arg, defs, depth + 1);
        if (x == null) {
          return null;
        }
        args.add(x);
      }
      return fn == null ? null : new Call(fn, args);
    }
    if (e instanceof ListLit l) {
      List<Expr> items = new ArrayList<>();
      for (Expr item : l.items()) {
        Expr x = inline(item, defs, depth + 1);
        if (x == null) {
          return null;
        }
        items.add(x);
      }
      return new ListLit(items);
    }
    return e;
  }

  /** Parses {@code t[from..]} as one expression of names, attributes and calls. */
  private static Optional<Expr> parse(List<Token> t, int from) {
    int[] at = {from};
    Expr e = expr(t, at);
    return e != null && at[0] == t.size() ? Optional.of(e) : Optional.empty();
  }

  private static Expr expr(List<Token> t, int[] at) {
    if (at[0] >= t.size()) {
      return null;
    }
    Token first = t.get(at[0]);
    Expr e;
    if (first.isName("None")) {
      e = new NoneLit();
      at[0]++;
      return e;
    } else if (first.kind() == Token.Kind.NUMBER) {
      at[0]++;
      try {
        return new Num(Long.parseLong(first.text()));
      } catch (NumberFormatException notAnInteger) {
        return null;
      }
    } else if (first.isOp("-")
        && at[0] + 1 < t.size()
        && t.get(at[0] + 1).kind() == Token.Kind.NUMBER) {
      at[0] += 2;
      try {
        return new Num(-Long.parseLong(t.get(at[0] - 1).text()));
      } catch (NumberFormatException notAnInteger) {
        return null;
      }
    } else if (first.kind() == Token.Kind.STRING) {
      at[0]++;
      return new Str(first.stringValue());
    } else if (first.isOp("[")) {
      at[0]++;
      List<Expr> items = new ArrayList<>();
      while (at[0] < t.size() && !t.get(at[0]).isOp("]")) {
        Expr item = expr(t, at);
        if (item == null || at[0] >= t.size()) {
          return null;
        }
        items.add(item);
        if (t.get(at[0]).isOp(",")) {
          at[0]++;
        } else if (!t.get(at[0]).isOp("]")) {
          return null;
        }
      }
      if (at[0] >= t.size()) {
        return null;
      }
      at[0]++;
      return new ListLit(items);
    } else if (first.isOp("(")) {
      at[0]++;
      e = expr(t, at);
      if (e == null || at[0] >= t.size() || !t.get(at[0]).isOp(")")) {
        return null;
      }
      at[0]++;
    } else if (first.kind() == Token.Kind.NAME) {
      e = new Name(first.text());
      at[0]++;
    } else {
      return null;
    }
    while (at[0] < t.size()) {
      Token x = t.get(at[0]);
      if (x.isOp(".") && at[0] + 1 < t.size() && t.get(at[0] + 1).kind() == Token.Kind.NAME) {
        e = new Attr(e, t.get(at[0] + 1).text());
        at[0] += 2;
      } else if (x.isOp("(")) {
        at[0]++;
        List<Expr> args = new ArrayList<>();
        while (at[0] < t.size() && !t.get(at[0]).isOp(")")) {
          Expr arg = expr(t, at);
          if (arg == null || at[0] >= t.size()) {
            return null;
          }
          args.add(arg);
          if (t.get(at[0]).isOp(",")) {
            at[0]++;
          } else if (!t.get(at[0]).isOp(")")) {
            return null;
          }
        }
        if (at[0] >= t.size()) {
          return null;
        }
        at[0]++;
        e = new Call(e, args);
      } else {
        break;
      }
    }
    return e;
  }
}
