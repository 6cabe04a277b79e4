package dev.lowrank.format.torchscript.internal.code;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Recognizes the two forwards lowrank understands, in any of the ways TorchScript prints them
 * (attributes read inline or through locals, scripted or traced):
 *
 * <ul>
 *   <li>the plain linear op: {@code return torch.linear(input, self.weight, self.bias)} (bias
 *       {@code None} or absent allowed);
 *   <li>the factorized op lowrank writes: {@code return torch.linear(torch.linear(input,
 *       self.lowrank_a), self.lowrank_b, self.bias)}.
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

  private sealed interface Expr permits Name, Attr, Call, NoneLit {}

  private record Name(String name) implements Expr {}

  private record Attr(Expr base, String name) implements Expr {}

  private record Call(Expr fn, List<Expr> args) implements Expr {}

  private record NoneLit() implements Expr {}

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
