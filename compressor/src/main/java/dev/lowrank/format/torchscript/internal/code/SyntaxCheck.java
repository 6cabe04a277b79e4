package dev.lowrank.format.torchscript.internal.code;

import dev.lowrank.format.torchscript.internal.zip.Texts;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks that a code file is syntactically TorchScript that PyTorch's importer can read, the way
 * its parser ({@code torch/csrc/jit/frontend/parser.cpp}) and source importer read it:
 *
 * <ul>
 *   <li>at the top level only an optional {@code op_version_set = N} first line, {@code import}
 *       lines, {@code class} and {@code def};
 *   <li>blocks: every line ending in {@code :} is followed by a more indented block, a dedent
 *       returns to an enclosing level, {@code elif} and {@code else} follow an {@code if};
 *   <li>statements: assignment (to names, attributes, subscripts and tuples of them), annotated and
 *       augmented assignment, expression statements, {@code return}, {@code raise}, {@code assert},
 *       {@code del}, {@code global}, {@code pass}, {@code break}, {@code continue}, {@code if},
 *       {@code while}, {@code for}, {@code with} and nested {@code def};
 *   <li>expressions: ASCII names, decimal numbers, plain string literals (no prefixes), {@code
 *       None}, {@code True}, {@code False}, {@code ...}, tuples, lists, dicts, attributes, calls
 *       (positional arguments before keyword arguments), subscripts and slices, unary {@code -} and
 *       {@code ~}, binary and comparison operators, {@code not}, {@code and}, {@code or} and {@code
 *       a if c else b}.
 * </ul>
 *
 * <p>This is the Python subset {@code torch.jit.save} prints, checked with Python's rules where
 * Python and TorchScript agree (so code Python's own parser refuses is refused too), except for one
 * thing TorchScript prints that Python refuses: a keyword-only parameter without a default after
 * one with a default. Constructs TorchScript never prints are refused even where Python would take
 * them: lambdas, comprehensions, starred expressions, decorators, {@code try}, string prefixes,
 * unary {@code +}, non-decimal numbers, semicolons and bodies on the header's line.
 *
 * <p>Names are not resolved: {@code torch.no_such_op(x)} is well formed. A code file that passes
 * can still fail in PyTorch for what it means, never for its syntax.
 */
final class SyntaxCheck {

  private static final Set<String> KEYWORDS =
      Set.of(
          "False",
          "None",
          "True",
          "and",
          "as",
          "assert",
          "async",
          "await",
          "break",
          "class",
          "continue",
          "def",
          "del",
          "elif",
          "else",
          "except",
          "finally",
          "for",
          "from",
          "global",
          "if",
          "import",
          "in",
          "is",
          "lambda",
          "nonlocal",
          "not",
          "or",
          "pass",
          "raise",
          "return",
          "try",
          "while",
          "with",
          "yield");

  private static final Set<String> BINARY =
      Set.of("|", "^", "&", "<<", ">>", "+", "-", "*", "/", "//", "%", "@");

  private static final Set<String> COMPARISON = Set.of("<", ">", "==", ">=", "<=", "!=");

  private static final Set<String> AUGMENTED =
      Set.of("+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "**=", "//=");

  /** Decimal integers and floats, as Python writes them and TorchScript's lexer reads them. */
  private static final Pattern NUMBER =
      Pattern.compile(
          "[1-9][0-9]*|0+|(?:[0-9]+\\.[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+");

  /** TorchScript's lexer reads ASCII identifiers only. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private static final int MAX_QUOTED = 40;

  /** What an expression is, as far as assigning to it goes. */
  private enum Kind {
    /** A name, attribute or subscript: a target of any assignment. */
    SINGLE,
    /** A tuple or list of targets: a target of a plain assignment. */
    MULTI,
    /** Anything else. */
    VALUE;

    boolean assignable() {
      return this != VALUE;
    }
  }

  private final List<LogicalLine> lines;
  private int next;

  private List<Token> t;
  private int p;
  private int end;
  private LogicalLine line;

  private SyntaxCheck(List<LogicalLine> lines) {
    this.lines = lines;
  }

  /**
   * Checks a file.
   *
   * @param lines its logical lines, as {@link Tokenizer#logicalLines} returns them
   * @throws CodeException (a {@linkplain CodeException#syntaxError() syntax error}) at the first
   *     place that is not TorchScript
   */
  static void check(List<LogicalLine> lines) throws CodeException {
    SyntaxCheck c = new SyntaxCheck(lines);
    c.tokens();
    c.file();
  }

  /** Checks each token on its own: names, numbers and string literals TorchScript can read. */
  private void tokens() throws CodeException {
    for (LogicalLine l : lines) {
      start(l, l.tokens().size());
      for (; p < end; p++) {
        Token x = t.get(p);
        switch (x.kind()) {
          case NAME -> {
            if (!NAME.matcher(x.text()).matches()) {
              throw error("a name TorchScript cannot read (not ASCII): " + quote(x));
            }
          }
          case NUMBER -> {
            if (!NUMBER.matcher(x.text()).matches()) {
              throw error("a malformed number " + quote(x));
            }
          }
          case STRING -> {
            char c = x.text().charAt(0);
            if (c != '"' && c != '\'') {
              throw error("a string prefix, which TorchScript does not read: " + quote(x));
            }
          }
          default -> {
            // Operators are checked where they stand.
          }
        }
      }
    }
  }

  // ---- blocks ----------------------------------------------------------------------------------

  private void file() throws CodeException {
    if (!lines.isEmpty() && isVersionLine(lines.get(0))) {
      next = 1;
    }
    while (next < lines.size()) {
      LogicalLine l = lines.get(next);
      start(l, l.tokens().size());
      if (l.indent() != 0) {
        throw error("unexpected indentation");
      }
      next++;
      Token first = l.first();
      if (first.isName("import")) {
        importLine();
      } else if (first.isName("class")) {
        classHeader();
        block(l);
      } else if (first.isName("def")) {
        defHeader();
        block(l);
      } else {
        throw error(
            "a top-level statement other than class, def or import ("
                + quote(first)
                + "), which PyTorch does not import");
      }
    }
  }

  private static boolean isVersionLine(LogicalLine l) {
    List<Token> x = l.tokens();
    return l.indent() == 0
        && x.size() == 3
        && x.get(0).isName("op_version_set")
        && x.get(1).isOp("=")
        && x.get(2).kind() == Token.Kind.NUMBER;
  }

  /** Reads the block after {@code header}, up to the first line indented no deeper than it. */
  private void block(LogicalLine header) throws CodeException {
    if (next >= lines.size() || lines.get(next).indent() <= header.indent()) {
      throw new CodeException(
          "an indented block expected after this line", header.lastLine(), true);
    }
    int indent = lines.get(next).indent();
    boolean afterIf = false;
    while (next < lines.size()) {
      LogicalLine l = lines.get(next);
      if (l.indent() < indent) {
        if (l.indent() > header.indent()) {
          start(l, l.tokens().size());
          throw error("an unindent that matches no enclosing block");
        }
        return;
      }
      if (l.indent() > indent) {
        start(l, l.tokens().size());
        throw error("unexpected indentation");
      }
      next++;
      afterIf = statement(l, afterIf);
    }
  }

  /** Checks a statement (and its block); returns whether it is an {@code if} or {@code elif}. */
  private boolean statement(LogicalLine l, boolean afterIf) throws CodeException {
    Token first = l.first();
    start(l, l.tokens().size());
    if (first.kind() != Token.Kind.NAME || !isCompound(first.text())) {
      simple();
      return false;
    }
    if (!l.tokens().get(l.tokens().size() - 1).isOp(":")) {
      throw error("'" + first.text() + "' without ':' at the end of the line");
    }
    end = l.tokens().size() - 1;
    p = 1;
    switch (first.text()) {
      case "if" -> {
        condition();
        block(l);
        return true;
      }
      case "elif" -> {
        if (!afterIf) {
          throw error("'elif' that follows no 'if'");
        }
        condition();
        block(l);
        return true;
      }
      case "else" -> {
        if (!afterIf) {
          throw error("'else' that follows no 'if'");
        }
        expectEnd();
        block(l);
        return false;
      }
      case "while" -> {
        condition();
        block(l);
        return false;
      }
      case "for" -> {
        forHeader();
        block(l);
        return false;
      }
      case "with" -> {
        withHeader();
        block(l);
        return false;
      }
      default -> {
        defHeader();
        block(l);
        return false;
      }
    }
  }

  private static boolean isCompound(String name) {
    return switch (name) {
      case "if", "elif", "else", "while", "for", "with", "def" -> true;
      default -> false;
    };
  }

  // ---- headers ---------------------------------------------------------------------------------

  private void importLine() throws CodeException {
    p = 1;
    do {
      dottedName();
    } while (acceptOp(","));
    expectEnd();
  }

  private void dottedName() throws CodeException {
    name();
    while (acceptOp(".")) {
      name();
    }
  }

  /** {@code class NAME [( BASE )] :} */
  private void classHeader() throws CodeException {
    if (!t.get(t.size() - 1).isOp(":")) {
      throw error("a class header without ':' at the end of the line");
    }
    end = t.size() - 1;
    p = 1;
    name();
    if (acceptOp("(")) {
      test();
      expectOp(")");
    }
    expectEnd();
  }

  /** {@code def NAME ( [params] ) [-> TYPE] :}, the line ending in ':' being the caller's. */
  private void defHeader() throws CodeException {
    if (!t.get(t.size() - 1).isOp(":")) {
      throw error("a def without ':' at the end of the line");
    }
    end = t.size() - 1;
    p = 1;
    name();
    expectOp("(");
    boolean star = false;
    while (!atOp(")")) {
      if (atOp("*")) {
        if (star) {
          throw error("a second '*' in the parameters");
        }
        star = true;
        p++;
        expectOp(",");
        if (atOp(")")) {
          throw error("a '*' that no parameter follows");
        }
        continue;
      }
      name();
      if (acceptOp(":")) {
        test();
      }
      if (acceptOp("=")) {
        test();
      }
      if (!acceptOp(",")) {
        break;
      }
    }
    expectOp(")");
    if (acceptOp("->")) {
      test();
    }
    expectEnd();
  }

  private void condition() throws CodeException {
    test();
    expectEnd();
  }

  /** {@code for TARGETS in VALUES :} */
  private void forHeader() throws CodeException {
    do {
      target("a for loop variable");
      if (!acceptOp(",")) {
        break;
      }
    } while (!atName("in"));
    expectName("in");
    testList();
    expectEnd();
  }

  /** {@code with ITEM [as NAME] (, ITEM [as NAME])* :} */
  private void withHeader() throws CodeException {
    do {
      test();
      if (acceptName("as")) {
        name();
      }
    } while (acceptOp(","));
    expectEnd();
  }

  // ---- simple statements -----------------------------------------------------------------------

  private void simple() throws CodeException {
    Token first = t.get(0);
    if (first.kind() == Token.Kind.NAME) {
      switch (first.text()) {
        case "pass", "break", "continue" -> {
          p = 1;
          expectEnd();
          return;
        }
        case "return" -> {
          p = 1;
          if (!atEnd()) {
            testList();
          }
          expectEnd();
          return;
        }
        case "raise" -> {
          p = 1;
          test();
          expectEnd();
          return;
        }
        case "assert" -> {
          p = 1;
          test();
          if (acceptOp(",")) {
            test();
          }
          expectEnd();
          return;
        }
        case "del" -> {
          p = 1;
          do {
            if (!test().assignable()) {
              throw error("'del' of something that is not a name, attribute or subscript");
            }
          } while (acceptOp(",") && !atEnd());
          expectEnd();
          return;
        }
        case "global" -> {
          p = 1;
          do {
            name();
          } while (acceptOp(","));
          expectEnd();
          return;
        }
        default -> {
          // An expression or an assignment.
        }
      }
    }
    Kind lhs = testList();
    if (atEnd()) {
      return;
    }
    Token op = t.get(p);
    if (op.isOp(":")) {
      if (lhs != Kind.SINGLE) {
        throw error("an annotation of something that is not a name, attribute or subscript");
      }
      p++;
      test();
      if (acceptOp("=")) {
        testList();
      }
      expectEnd();
    } else if (op.kind() == Token.Kind.OP && AUGMENTED.contains(op.text())) {
      if (lhs != Kind.SINGLE) {
        throw error("'" + op.text() + "' on something that is not a name, attribute or subscript");
      }
      p++;
      testList();
      expectEnd();
    } else if (op.isOp("=")) {
      Kind target = lhs;
      while (acceptOp("=")) {
        if (!target.assignable()) {
          throw error("an assignment to something that is not a name, attribute or subscript");
        }
        target = testList();
      }
      expectEnd();
    } else {
      throw unexpected();
    }
  }

  // ---- expressions -----------------------------------------------------------------------------

  /** Expressions separated by commas, a trailing comma allowed: a tuple when there is a comma. */
  private Kind testList() throws CodeException {
    Kind first = test();
    if (!atOp(",")) {
      return first;
    }
    boolean targets = first.assignable();
    while (acceptOp(",")) {
      if (atEnd() || atOp("=") || atOp(":") || atAugmented()) {
        break;
      }
      targets &= test().assignable();
    }
    return targets ? Kind.MULTI : Kind.VALUE;
  }

  private Kind test() throws CodeException {
    Kind k = orTest();
    if (acceptName("if")) {
      orTest();
      expectName("else");
      test();
      return Kind.VALUE;
    }
    return k;
  }

  private Kind orTest() throws CodeException {
    Kind k = andTest();
    while (acceptName("or")) {
      andTest();
      k = Kind.VALUE;
    }
    return k;
  }

  private Kind andTest() throws CodeException {
    Kind k = notTest();
    while (acceptName("and")) {
      notTest();
      k = Kind.VALUE;
    }
    return k;
  }

  private Kind notTest() throws CodeException {
    if (acceptName("not")) {
      notTest();
      return Kind.VALUE;
    }
    return comparison();
  }

  private Kind comparison() throws CodeException {
    Kind k = arith();
    while (comparisonOperator()) {
      arith();
      k = Kind.VALUE;
    }
    return k;
  }

  private boolean comparisonOperator() {
    if (atEnd()) {
      return false;
    }
    Token x = t.get(p);
    if (x.kind() == Token.Kind.OP && COMPARISON.contains(x.text())) {
      p++;
      return true;
    }
    if (x.isName("in")) {
      p++;
      return true;
    }
    if (x.isName("is")) {
      p++;
      acceptName("not");
      return true;
    }
    if (x.isName("not") && p + 1 < end && t.get(p + 1).isName("in")) {
      p += 2;
      return true;
    }
    return false;
  }

  /** Binary arithmetic and bitwise operators, one level: their precedence does not matter here. */
  private Kind arith() throws CodeException {
    Kind k = factor();
    while (!atEnd() && t.get(p).kind() == Token.Kind.OP && BINARY.contains(t.get(p).text())) {
      p++;
      factor();
      k = Kind.VALUE;
    }
    return k;
  }

  private Kind factor() throws CodeException {
    if (atOp("-") || atOp("~")) {
      p++;
      factor();
      return Kind.VALUE;
    }
    Kind k = atomWithTrailers();
    if (acceptOp("**")) {
      factor();
      return Kind.VALUE;
    }
    return k;
  }

  private Kind atomWithTrailers() throws CodeException {
    Kind k = atom();
    while (!atEnd()) {
      if (acceptOp(".")) {
        name();
        k = Kind.SINGLE;
      } else if (acceptOp("(")) {
        arguments();
        k = Kind.VALUE;
      } else if (acceptOp("[")) {
        subscripts();
        k = Kind.SINGLE;
      } else {
        break;
      }
    }
    return k;
  }

  private Kind atom() throws CodeException {
    if (atEnd()) {
      throw error("an expression expected at the end of the line");
    }
    Token x = t.get(p);
    switch (x.kind()) {
      case NAME -> {
        p++;
        if (x.text().equals("None") || x.text().equals("True") || x.text().equals("False")) {
          return Kind.VALUE;
        }
        if (KEYWORDS.contains(x.text())) {
          p--;
          throw unexpected();
        }
        return Kind.SINGLE;
      }
      case NUMBER -> {
        p++;
        return Kind.VALUE;
      }
      case STRING -> {
        while (!atEnd() && t.get(p).kind() == Token.Kind.STRING) {
          p++;
        }
        return Kind.VALUE;
      }
      case OP -> {
        if (x.isOp("...")) {
          p++;
          return Kind.VALUE;
        }
        if (x.isOp("(")) {
          p++;
          if (acceptOp(")")) {
            return Kind.VALUE;
          }
          Kind first = test();
          if (acceptOp(")")) {
            return first;
          }
          return sequence(first, ")");
        }
        if (x.isOp("[")) {
          p++;
          if (acceptOp("]")) {
            return Kind.VALUE;
          }
          return sequence(test(), "]");
        }
        if (x.isOp("{")) {
          p++;
          dictionary();
          return Kind.VALUE;
        }
        throw unexpected();
      }
      default -> throw unexpected();
    }
  }

  /** The rest of a tuple or list after its first element, up to and including {@code close}. */
  private Kind sequence(Kind first, String close) throws CodeException {
    boolean targets = first.assignable();
    while (acceptOp(",")) {
      if (atOp(close)) {
        break;
      }
      targets &= test().assignable();
    }
    expectOp(close);
    return targets ? Kind.MULTI : Kind.VALUE;
  }

  private void dictionary() throws CodeException {
    while (!atOp("}")) {
      test();
      expectOp(":");
      test();
      if (!acceptOp(",")) {
        break;
      }
    }
    expectOp("}");
  }

  /** A call's arguments after '(' up to and including ')'. */
  private void arguments() throws CodeException {
    boolean keyword = false;
    while (!atOp(")")) {
      if (p + 1 < end && t.get(p).kind() == Token.Kind.NAME && t.get(p + 1).isOp("=")) {
        name();
        p++;
        test();
        keyword = true;
      } else {
        if (keyword) {
          throw error("a positional argument after a keyword argument");
        }
        test();
      }
      if (!acceptOp(",")) {
        break;
      }
    }
    expectOp(")");
  }

  /** Subscripts and slices after '[' up to and including ']'. */
  private void subscripts() throws CodeException {
    do {
      if (atOp("]")) {
        throw unexpected();
      }
      if (!atOp(":")) {
        test();
      }
      if (acceptOp(":")) {
        if (!atOp(",") && !atOp("]") && !atOp(":")) {
          test();
        }
        if (acceptOp(":") && !atOp(",") && !atOp("]")) {
          test();
        }
      }
    } while (acceptOp(",") && !atOp("]"));
    expectOp("]");
  }

  private void target(String what) throws CodeException {
    if (!arith().assignable()) {
      throw error(what + " that is not a name, attribute or subscript");
    }
  }

  // ---- tokens ----------------------------------------------------------------------------------

  private void start(LogicalLine l, int limit) {
    line = l;
    t = l.tokens();
    end = limit;
    p = 0;
  }

  private boolean atEnd() {
    return p >= end;
  }

  private boolean atOp(String op) {
    return p < end && t.get(p).isOp(op);
  }

  private boolean atName(String name) {
    return p < end && t.get(p).isName(name);
  }

  private boolean atAugmented() {
    return p < end && t.get(p).kind() == Token.Kind.OP && AUGMENTED.contains(t.get(p).text());
  }

  private boolean acceptOp(String op) {
    if (atOp(op)) {
      p++;
      return true;
    }
    return false;
  }

  private boolean acceptName(String name) {
    if (atName(name)) {
      p++;
      return true;
    }
    return false;
  }

  private void expectOp(String op) throws CodeException {
    if (!acceptOp(op)) {
      throw atEnd() ? error("'" + op + "' expected at the end of the line") : unexpected();
    }
  }

  private void expectName(String name) throws CodeException {
    if (!acceptName(name)) {
      throw atEnd() ? error("'" + name + "' expected at the end of the line") : unexpected();
    }
  }

  private void name() throws CodeException {
    if (p < end && t.get(p).kind() == Token.Kind.NAME && !KEYWORDS.contains(t.get(p).text())) {
      p++;
      return;
    }
    throw atEnd() ? error("a name expected at the end of the line") : unexpected();
  }

  private void expectEnd() throws CodeException {
    if (!atEnd()) {
      throw unexpected();
    }
  }

  private CodeException unexpected() {
    return error("unexpected " + quote(t.get(p)));
  }

  private CodeException error(String problem) {
    int at = p < t.size() ? t.get(p).line() : line.lastLine();
    return new CodeException(problem, at, true);
  }

  private static String quote(Token x) {
    String text = x.text();
    return "'"
        + Texts.printable(text.length() > MAX_QUOTED ? text.substring(0, MAX_QUOTED) : text)
        + (text.length() > MAX_QUOTED ? "...'" : "'");
  }
}
