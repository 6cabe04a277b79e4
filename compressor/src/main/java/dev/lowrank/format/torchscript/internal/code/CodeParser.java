package dev.lowrank.format.torchscript.internal.code;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses a TorchScript code file into its classes (attributes, parameters, buffers, methods) and
 * top-level functions, after checking that all of it is syntactically TorchScript ({@link
 * SyntaxCheck}). It reads the structure only; method bodies stay logical lines for {@link
 * MethodScan} and {@link ForwardShape}.
 */
public final class CodeParser {

  private final String entry;
  private final String qualifier;
  private final String text;
  private final List<LogicalLine> lines;
  private int i;

  private CodeParser(String entry, String qualifier, String text, List<LogicalLine> lines) {
    this.entry = entry;
    this.qualifier = qualifier;
    this.text = text;
    this.lines = lines;
  }

  /**
   * Parses a file.
   *
   * @param entry the entry name, kept in the result
   * @param qualifier the module qualifier of its classes
   * @param text the source
   * @return the parsed file
   * @throws CodeException if the text is not TorchScript (a {@linkplain CodeException#syntaxError()
   *     syntax error}, see {@link SyntaxCheck}) or not code of the shape TorchScript prints
   */
  public static CodeFile parse(String entry, String qualifier, String text) throws CodeException {
    List<LogicalLine> lines = Tokenizer.logicalLines(text);
    SyntaxCheck.check(lines);
    return new CodeParser(entry, qualifier, text, lines).file();
  }

  private CodeFile file() throws CodeException {
    List<ClassDef> classes = new ArrayList<>();
    List<MethodDef> functions = new ArrayList<>();
    while (i < lines.size()) {
      LogicalLine l = lines.get(i);
      if (l.indent() != 0) {
        throw new CodeException("unexpected indentation", l.firstLine());
      }
      if (l.first().isName("class")) {
        classes.add(classDef());
      } else if (l.first().isName("def")) {
        functions.add(method(0));
      } else {
        i++;
      }
    }
    return new CodeFile(entry, qualifier, Arrays.asList(text.split("\n", -1)), classes, functions);
  }

  private ClassDef classDef() throws CodeException {
    LogicalLine header = lines.get(i++);
    List<Token> t = header.tokens();
    if (t.size() < 3 || t.get(1).kind() != Token.Kind.NAME || !t.get(t.size() - 1).isOp(":")) {
      throw new CodeException("a malformed class header", header.firstLine());
    }
    String name = t.get(1).text();
    Optional<String> base = Optional.empty();
    if (t.get(2).isOp("(")) {
      if (t.size() != 6 || t.get(3).kind() != Token.Kind.NAME || !t.get(4).isOp(")")) {
        throw new CodeException("a class header lowrank does not read", header.firstLine());
      }
      base = Optional.of(t.get(3).text());
    }
    List<String> parameters = new ArrayList<>();
    List<String> buffers = new ArrayList<>();
    Map<String, AttributeDecl> attributes = new LinkedHashMap<>();
    Map<String, MethodDef> methods = new LinkedHashMap<>();
    List<Member> members = new ArrayList<>();
    int endLine = header.lastLine() + 1;
    int memberIndent = i < lines.size() ? lines.get(i).indent() : 0;
    while (i < lines.size() && lines.get(i).indent() > 0) {
      LogicalLine m = lines.get(i);
      if (m.indent() != memberIndent) {
        throw new CodeException("unexpected indentation in class " + name, m.firstLine());
      }
      List<Token> mt = m.tokens();
      if (mt.get(0).isName("def")) {
        MethodDef method = method(memberIndent);
        if (methods.put(method.name(), method) != null) {
          throw new CodeException("method " + method.name() + " defined twice", m.firstLine());
        }
        members.add(
            new Member(Member.Kind.METHOD, method.name(), method.firstLine(), method.endLine()));
        endLine = method.endLine();
        continue;
      }
      i++;
      endLine = m.lastLine() + 1;
      Member.Kind kind = Member.Kind.ATTRIBUTE;
      String memberName = "";
      if (mt.size() >= 3 && mt.get(1).isOp("=") && mt.get(0).isName("__parameters__")) {
        parameters.addAll(stringList(m, 2));
        kind = Member.Kind.PARAMETERS;
      } else if (mt.size() >= 3 && mt.get(1).isOp("=") && mt.get(0).isName("__buffers__")) {
        buffers.addAll(stringList(m, 2));
        kind = Member.Kind.BUFFERS;
      } else if (mt.size() >= 3 && mt.get(0).kind() == Token.Kind.NAME && mt.get(1).isOp(":")) {
        int eq = depthZero(mt, 2, "=");
        String type = source(mt, 2, eq < 0 ? mt.size() : eq);
        Optional<String> value =
            eq < 0 ? Optional.empty() : Optional.of(source(mt, eq + 1, mt.size()));
        addAttribute(
            attributes,
            new AttributeDecl(mt.get(0).text(), type, value, false, m.firstLine(), memberIndent),
            m);
        memberName = mt.get(0).text();
      } else if (mt.size() >= 6
          && mt.get(0).isName("__annotations__")
          && mt.get(1).isOp("[")
          && mt.get(2).kind() == Token.Kind.STRING
          && mt.get(3).isOp("]")
          && mt.get(4).isOp("=")) {
        addAttribute(
            attributes,
            new AttributeDecl(
                mt.get(2).stringValue(),
                source(mt, 5, mt.size()),
                Optional.empty(),
                true,
                m.firstLine(),
                memberIndent),
            m);
        memberName = mt.get(2).stringValue();
      } else {
        kind = Member.Kind.OTHER;
      }
      if (kind == Member.Kind.ATTRIBUTE && m.firstLine() != m.lastLine()) {
        throw new CodeException("an attribute declared over several lines", m.firstLine());
      }
      members.add(new Member(kind, memberName, m.firstLine(), m.lastLine() + 1));
    }
    return new ClassDef(
        qualifier + "." + name,
        base,
        entry,
        parameters,
        buffers,
        attributes,
        methods,
        members,
        memberIndent,
        header.firstLine(),
        endLine);
  }

  private static void addAttribute(
      Map<String, AttributeDecl> attributes, AttributeDecl decl, LogicalLine at)
      throws CodeException {
    if (attributes.put(decl.name(), decl) != null) {
      throw new CodeException("attribute " + decl.name() + " declared twice", at.firstLine());
    }
  }

  private MethodDef method(int indent) throws CodeException {
    LogicalLine header = lines.get(i++);
    List<Token> t = header.tokens();
    if (t.size() < 5
        || t.get(1).kind() != Token.Kind.NAME
        || !t.get(2).isOp("(")
        || !t.get(t.size() - 1).isOp(":")) {
      throw new CodeException("a malformed def", header.firstLine());
    }
    int close = matching(t, 2);
    List<Param> params = new ArrayList<>();
    int start = 3;
    while (start < close) {
      int comma = depthZero(t, start, ",");
      int end = comma < 0 || comma > close ? close : comma;
      if (end > start) {
        params.add(param(t, start, end, header));
      }
      start = end + 1;
    }
    Optional<String> returnType = Optional.empty();
    if (close + 1 < t.size() - 1) {
      if (!t.get(close + 1).isOp("->")) {
        throw new CodeException("a malformed def", header.firstLine());
      }
      returnType = Optional.of(source(t, close + 2, t.size() - 1));
    }
    List<LogicalLine> body = new ArrayList<>();
    int endLine = header.lastLine() + 1;
    while (i < lines.size() && lines.get(i).indent() > indent) {
      LogicalLine b = lines.get(i++);
      body.add(b);
      endLine = b.lastLine() + 1;
    }
    return new MethodDef(t.get(1).text(), params, returnType, body, header.firstLine(), endLine);
  }

  private Param param(List<Token> t, int start, int end, LogicalLine at) throws CodeException {
    if (t.get(start).kind() != Token.Kind.NAME) {
      throw new CodeException("a parameter lowrank does not read", at.firstLine());
    }
    int eq = depthZero(t, start, "=");
    boolean hasDefault = eq >= 0 && eq < end;
    int typeEnd = hasDefault ? eq : end;
    String type = "";
    if (start + 1 < typeEnd) {
      if (!t.get(start + 1).isOp(":")) {
        throw new CodeException("a parameter lowrank does not read", at.firstLine());
      }
      type = source(t, start + 2, typeEnd);
    }
    return new Param(t.get(start).text(), type, hasDefault);
  }

  private List<String> stringList(LogicalLine m, int from) throws CodeException {
    List<Token> t = m.tokens();
    if (!t.get(from).isOp("[") || !t.get(t.size() - 1).isOp("]")) {
      throw new CodeException("a malformed name list", m.firstLine());
    }
    List<String> out = new ArrayList<>();
    for (int k = from + 1; k < t.size() - 1; k++) {
      Token x = t.get(k);
      if (x.kind() == Token.Kind.STRING) {
        out.add(x.stringValue());
      } else if (!x.isOp(",")) {
        throw new CodeException("a malformed name list", m.firstLine());
      }
    }
    return out;
  }

  private String source(List<Token> t, int from, int to) {
    if (from >= to) {
      return "";
    }
    return text.substring(t.get(from).start(), t.get(to - 1).end());
  }

  /**
   * Returns the index of the first operator {@code op} at bracket depth 0 from {@code from}, or -1.
   *
   * @param t tokens
   * @param from the first index to look at
   * @param op the operator
   * @return its index, or -1
   */
  static int depthZero(List<Token> t, int from, String op) {
    int depth = 0;
    for (int k = from; k < t.size(); k++) {
      Token x = t.get(k);
      if (x.kind() == Token.Kind.OP) {
        if (depth == 0 && x.text().equals(op)) {
          return k;
        }
        if ("([{".contains(x.text())) {
          depth++;
        } else if (")]}".contains(x.text())) {
          depth--;
          if (depth < 0) {
            return -1;
          }
        }
      }
    }
    return -1;
  }

  /**
   * Returns the index of the bracket closing the one at {@code open}.
   *
   * @param t tokens
   * @param open the index of an opening bracket
   * @return the index of its closing bracket
   */
  static int matching(List<Token> t, int open) {
    int depth = 0;
    for (int k = open; k < t.size(); k++) {
      Token x = t.get(k);
      if (x.kind() == Token.Kind.OP) {
        if ("([{".contains(x.text())) {
          depth++;
        } else if (")]}".contains(x.text())) {
          depth--;
          if (depth == 0) {
            return k;
          }
        }
      }
    }
    throw new IllegalStateException("Unbalanced brackets survived the tokenizer");
  }
}
