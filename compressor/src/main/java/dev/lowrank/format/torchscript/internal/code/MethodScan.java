package dev.lowrank.format.torchscript.internal.code;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows, inside one method or function, every value that may be a module reached from {@code
 * self} ({@code self.enc}, {@code getattr(layers, "0")}, local aliases of those) and reports how
 * the method uses them:
 *
 * <ul>
 *   <li>a <em>weight read</em>: {@code X.weight} (or one of the attention weights {@code
 *       X.in_proj_weight}, {@code X.q_proj_weight}, {@code X.k_proj_weight}, {@code
 *       X.v_proj_weight}) where {@code X} is such a value, with the path of {@code X} relative to
 *       {@code self};
 *   <li>an <em>escape</em>: such a value used other than by reading an attribute, calling a method
 *       on it, aliasing it or indexing it with {@code getattr} (passed to a function, returned, put
 *       in a tuple, subscripted), after which lowrank cannot follow it;
 *   <li>an <em>unresolved</em> weight read or escape: on a value whose origin is unknown (a
 *       parameter typed as a module, or a subscript of a module).
 * </ul>
 *
 * <p>It also lists the {@code __torch__} names the code mentions. The scan is conservative: any
 * module value it cannot follow is reported, never silently dropped.
 *
 * @param weightReads the receivers of {@code .weight} reads, as paths relative to {@code self}
 * @param escapes the paths of module values used in ways the scan cannot follow
 * @param unresolved descriptions of weight reads and escapes on values of unknown origin
 * @param mentions the qualified {@code __torch__} names the code mentions
 */
public record MethodScan(
    Set<List<String>> weightReads,
    Set<List<String>> escapes,
    List<String> unresolved,
    Set<String> mentions) {

  private static final int MAX_ALIASES = 100;

  /** The attributes whose reads are weight reads: a layer's and an attention module's weights. */
  public static final Set<String> WEIGHT_NAMES =
      Set.of("weight", "in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight");

  private static final Set<String> KEYWORDS =
      Set.of(
          "if",
          "elif",
          "else",
          "return",
          "not",
          "and",
          "or",
          "is",
          "in",
          "None",
          "True",
          "False",
          "for",
          "while",
          "pass",
          "break",
          "continue",
          "def",
          "lambda",
          "assert",
          "raise",
          "del",
          "with",
          "as",
          "global",
          "nonlocal",
          "yield",
          "import",
          "from",
          "try",
          "except",
          "finally",
          "class");

  /** What an expression may evaluate to. */
  private record Ref(Set<List<String>> paths, boolean unknownModule) {
    static final Ref OPAQUE = new Ref(Set.of(), false);
    static final Ref UNKNOWN = new Ref(Set.of(), true);

    boolean moduleLike() {
      return !paths.isEmpty() || unknownModule;
    }

    Ref append(String name) {
      Set<List<String>> out = new LinkedHashSet<>();
      for (List<String> p : paths) {
        List<String> q = new ArrayList<>(p);
        q.add(name);
        out.add(List.copyOf(q));
      }
      return new Ref(out, unknownModule);
    }

    Ref union(Ref other) {
      Set<List<String>> out = new LinkedHashSet<>(paths);
      out.addAll(other.paths);
      return new Ref(out, unknownModule || other.unknownModule);
    }
  }

  /**
   * Scans a method of a class, or a function.
   *
   * @param method the method
   * @param hasSelf whether the first parameter is {@code self}, the instance
   * @param moduleTypes whether a parameter annotation names a module or interface type
   * @return what the method does with module values
   */
  public static MethodScan scan(
      MethodDef method, boolean hasSelf, java.util.function.Predicate<String> moduleTypes) {
    return new Scanner(method, hasSelf, moduleTypes).run();
  }

  private static final class Scanner {
    private final MethodDef method;
    private final boolean hasSelf;
    private final java.util.function.Predicate<String> moduleTypes;
    private final Map<String, List<Def>> defs = new HashMap<>();
    private final Map<String, Ref> resolved = new HashMap<>();
    private final Set<String> resolving = new HashSet<>();
    private final Set<List<String>> weightReads = new LinkedHashSet<>();
    private final Set<List<String>> escapes = new LinkedHashSet<>();
    private final List<String> unresolved = new ArrayList<>();
    private final Set<String> mentions = new LinkedHashSet<>();
    private final Set<Integer> examined = new HashSet<>();

    /** A definition of a local: the tokens of its value, or nothing for an opaque value. */
    private record Def(List<Token> tokens, int from, int to) {}

    Scanner(MethodDef method, boolean hasSelf, java.util.function.Predicate<String> moduleTypes) {
      this.method = method;
      this.hasSelf = hasSelf;
      this.moduleTypes = moduleTypes;
    }

    MethodScan run() {
      for (LogicalLine line : method.body()) {
        collectDefs(line.tokens());
      }
      for (Param p : method.params()) {
        for (String name : dottedNames(p.type())) {
          mentions.add(name);
        }
      }
      method.returnType().ifPresent(t -> mentions.addAll(dottedNames(t)));
      for (LogicalLine line : method.body()) {
        examined.clear();
        List<Token> t = line.tokens();
        scanStatement(t);
        for (int w = 1; w < t.size(); w++) {
          if (t.get(w).kind() == Token.Kind.NAME
              && WEIGHT_NAMES.contains(t.get(w).text())
              && t.get(w - 1).isOp(".")
              && !examined.contains(w)) {
            unresolved.add(
                "'."
                    + t.get(w).text()
                    + "' read on a value lowrank cannot follow in "
                    + method.name());
          }
        }
      }
      return new MethodScan(weightReads, escapes, unresolved, mentions);
    }

    private static List<String> dottedNames(String type) {
      List<String> out = new ArrayList<>();
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("__torch__(\\.[A-Za-z_][A-Za-z0-9_]*)*").matcher(type);
      while (m.find()) {
        out.add(m.group());
      }
      return out;
    }

    // ---- definitions -------------------------------------------------------------------------

    private void collectDefs(List<Token> t) {
      if (t.get(0).isName("for") || t.get(0).isName("with")) {
        for (int k = 1; k < t.size() && !t.get(k).isName("in") && !t.get(k).isName("as"); k++) {
          if (t.get(k).kind() == Token.Kind.NAME) {
            define(t.get(k).text(), null);
          }
        }
        if (t.get(0).isName("with")) {
          int as = indexOfName(t, "as");
          if (as > 0 && as + 1 < t.size()) {
            define(t.get(as + 1).text(), null);
          }
        }
        return;
      }
      int eq = CodeParser.depthZero(t, 0, "=");
      if (eq <= 0) {
        return;
      }
      List<String> targets = simpleTargets(t, eq);
      if (targets.isEmpty()) {
        return;
      }
      List<int[]> values = split(t, eq + 1, t.size());
      if (values.size() == targets.size()) {
        for (int k = 0; k < targets.size(); k++) {
          define(targets.get(k), new Def(t, values.get(k)[0], values.get(k)[1]));
        }
      } else {
        for (String target : targets) {
          define(target, null);
        }
      }
    }

    private static int indexOfName(List<Token> t, String name) {
      for (int k = 0; k < t.size(); k++) {
        if (t.get(k).isName(name)) {
          return k;
        }
      }
      return -1;
    }

    /** The names assigned by {@code a = ...}, {@code a : T = ...} or {@code a, b, = ...}. */
    private static List<String> simpleTargets(List<Token> t, int eq) {
      List<String> names = new ArrayList<>();
      if (eq >= 2 && t.get(0).kind() == Token.Kind.NAME && t.get(1).isOp(":")) {
        names.add(t.get(0).text());
        return names;
      }
      for (int k = 0; k < eq; k++) {
        Token x = t.get(k);
        boolean nameSlot = k % 2 == 0;
        if (nameSlot && x.kind() == Token.Kind.NAME && !KEYWORDS.contains(x.text())) {
          names.add(x.text());
        } else if (!nameSlot && x.isOp(",")) {
          continue;
        } else {
          return List.of();
        }
      }
      return names;
    }

    private void define(String name, Def def) {
      defs.computeIfAbsent(name, k -> new ArrayList<>()).add(def);
    }

    /** Splits {@code t[from, to)} at commas of bracket depth 0, dropping a trailing comma. */
    private static List<int[]> split(List<Token> t, int from, int to) {
      List<int[]> parts = new ArrayList<>();
      int depth = 0;
      int start = from;
      for (int k = from; k < to; k++) {
        Token x = t.get(k);
        if (x.kind() == Token.Kind.OP) {
          if ("([{".contains(x.text())) {
            depth++;
          } else if (")]}".contains(x.text())) {
            depth--;
          } else if (depth == 0 && x.text().equals(",")) {
            parts.add(new int[] {start, k});
            start = k + 1;
          }
        }
      }
      if (start < to) {
        parts.add(new int[] {start, to});
      }
      return parts;
    }

    // ---- resolution --------------------------------------------------------------------------

    private Ref variable(String name) {
      Ref cached = resolved.get(name);
      if (cached != null) {
        return cached;
      }
      if (resolving.size() > MAX_ALIASES) {
        // A chain of aliases this long is no printed code: give up, conservatively.
        return Ref.UNKNOWN;
      }
      if (!resolving.add(name)) {
        return Ref.OPAQUE;
      }
      Ref r;
      List<Def> ds = defs.get(name);
      if (ds == null) {
        r = parameter(name);
      } else {
        r = Ref.OPAQUE;
        for (Def d : ds) {
          r = r.union(d == null ? Ref.OPAQUE : expression(d.tokens(), d.from(), d.to()));
        }
      }
      resolving.remove(name);
      resolved.put(name, r);
      return r;
    }

    private Ref parameter(String name) {
      List<Param> ps = method.params();
      for (int k = 0; k < ps.size(); k++) {
        if (ps.get(k).name().equals(name)) {
          if (k == 0 && hasSelf) {
            return new Ref(Set.of(List.of()), false);
          }
          return moduleTypes.test(ps.get(k).type()) ? Ref.UNKNOWN : Ref.OPAQUE;
        }
      }
      return Ref.OPAQUE;
    }

    /** Resolves {@code t[from, to)} when it is one chain; anything else is opaque. */
    private Ref expression(List<Token> t, int from, int to) {
      Chain c = chain(t, from, false);
      return c != null && c.end == to ? c.ref : Ref.OPAQUE;
    }

    /** A chain {@code root(.name | getattr)*} and the index just after it. */
    private record Chain(Ref ref, int end, boolean called) {}

    /**
     * Reads the chain starting at {@code k}: a name, {@code getattr(chain, "key")} or {@code
     * (chain)}, then {@code .name} trailers. Calls and subscripts end it. When {@code record},
     * weight reads and subscript escapes met on the way are recorded.
     */
    private Chain chain(List<Token> t, int k, boolean record) {
      Token first = t.get(k);
      Ref ref;
      int at;
      if (first.isName("getattr") && k + 1 < t.size() && t.get(k + 1).isOp("(")) {
        int close = CodeParser.matching(t, k + 1);
        Chain inner = chain(t, k + 2, false);
        if (inner != null
            && inner.end + 2 == close
            && t.get(inner.end).isOp(",")
            && t.get(inner.end + 1).kind() == Token.Kind.STRING) {
          ref = inner.ref.append(t.get(inner.end + 1).stringValue());
        } else {
          ref = Ref.OPAQUE;
        }
        at = close + 1;
      } else if (first.isOp("(")) {
        int close = CodeParser.matching(t, k);
        Chain inner = chain(t, k + 1, false);
        if (inner == null || inner.end != close) {
          return null;
        }
        ref = inner.ref;
        at = close + 1;
      } else if (first.kind() == Token.Kind.NAME && !KEYWORDS.contains(first.text())) {
        ref = variable(first.text());
        at = k + 1;
      } else {
        return null;
      }
      boolean called = false;
      while (at + 1 < t.size() && t.get(at).isOp(".") && t.get(at + 1).kind() == Token.Kind.NAME) {
        String name = t.get(at + 1).text();
        if (at + 2 < t.size() && t.get(at + 2).isOp("(")) {
          // A method call on ref: the method's own code is scanned in its class.
          called = true;
          at += 2;
          return new Chain(Ref.OPAQUE, at, called);
        }
        if (record && WEIGHT_NAMES.contains(name)) {
          examined.add(at + 1);
          weightReads.addAll(ref.paths());
          if (ref.unknownModule() || !ref.moduleLike()) {
            unresolved.add(
                "'." + name + "' read on a value lowrank cannot follow in " + method.name());
          }
        }
        ref = ref.append(name);
        at += 2;
      }
      if (at < t.size() && (t.get(at).isOp("[") || t.get(at).isOp("("))) {
        if (record && ref.moduleLike() && t.get(at).isOp("[")) {
          escape(ref, "subscripted");
        }
        return new Chain(Ref.OPAQUE, at, true);
      }
      return new Chain(ref, at, called);
    }

    private void escape(Ref ref, String how) {
      escapes.addAll(ref.paths());
      if (ref.unknownModule()) {
        unresolved.add("a module of unknown origin is " + how + " in " + method.name());
      }
    }

    // ---- uses --------------------------------------------------------------------------------

    private void scanStatement(List<Token> t) {
      int eq = CodeParser.depthZero(t, 0, "=");
      List<String> targets = eq > 0 ? simpleTargets(t, eq) : List.of();
      int from = 0;
      Set<Integer> aliasStarts = new HashSet<>();
      if (!targets.isEmpty()) {
        from = eq + 1;
        List<int[]> values = split(t, eq + 1, t.size());
        if (values.size() == targets.size()) {
          for (int[] v : values) {
            aliasStarts.add(v[0] * 100000 + v[1]);
          }
        }
      } else if (t.get(0).isName("for") || t.get(0).isName("with")) {
        from = 1;
      }
      for (int k = from; k < t.size(); k++) {
        Token x = t.get(k);
        if (x.isName("__torch__")) {
          mentions.add(dotted(t, k));
        }
        boolean afterDot = k > 0 && t.get(k - 1).isOp(".");
        boolean keyword =
            x.kind() == Token.Kind.NAME
                && k + 1 < t.size()
                && t.get(k + 1).isOp("=")
                && k > 0
                && (t.get(k - 1).isOp(",") || t.get(k - 1).isOp("("));
        if (x.kind() != Token.Kind.NAME || afterDot || keyword || KEYWORDS.contains(x.text())) {
          continue;
        }
        if (!(eq > 0 && k < eq && !targets.isEmpty())) {
          use(t, k, aliasStarts);
        }
      }
    }

    private static String dotted(List<Token> t, int k) {
      StringBuilder sb = new StringBuilder(t.get(k).text());
      int at = k + 1;
      while (at + 1 < t.size() && t.get(at).isOp(".") && t.get(at + 1).kind() == Token.Kind.NAME) {
        sb.append('.').append(t.get(at + 1).text());
        at += 2;
      }
      return sb.toString();
    }

    /** Classifies the use of the chain that starts at name token {@code k}. */
    private void use(List<Token> t, int k, Set<Integer> aliasStarts) {
      boolean getattrArg = k >= 2 && t.get(k - 1).isOp("(") && t.get(k - 2).isName("getattr");
      Chain c = chain(t, k, true);
      if (c == null || c.called) {
        return;
      }
      if (getattrArg && c.end < t.size() && t.get(c.end).isOp(",")) {
        return;
      }
      int start = k;
      while (grouping(t, start, c.end)) {
        Chain outer = chain(t, start - 1, true);
        if (outer == null || outer.called) {
          return;
        }
        start--;
        c = outer;
      }
      classify(t, start, c, aliasStarts);
    }

    /** Whether {@code t[start, end)} sits alone in parentheses that are not a call's. */
    private static boolean grouping(List<Token> t, int start, int end) {
      if (start < 1 || end >= t.size() || !t.get(start - 1).isOp("(") || !t.get(end).isOp(")")) {
        return false;
      }
      if (start >= 2) {
        Token before = t.get(start - 2);
        boolean callee =
            (before.kind() == Token.Kind.NAME && !KEYWORDS.contains(before.text()))
                || before.kind() == Token.Kind.STRING
                || before.kind() == Token.Kind.NUMBER
                || before.isOp(")")
                || before.isOp("]");
        return !callee;
      }
      return true;
    }

    private void classify(List<Token> t, int start, Chain c, Set<Integer> aliasStarts) {
      if (!c.ref.moduleLike()) {
        return;
      }
      if (aliasStarts.contains(start * 100000 + c.end)) {
        return;
      }
      escape(c.ref, "used as a value");
    }
  }
}
