package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.Site;
import dev.lowrank.format.torchscript.internal.code.ClassDef;
import dev.lowrank.format.torchscript.internal.code.CodeFile;
import dev.lowrank.format.torchscript.internal.code.ForwardShape;
import dev.lowrank.format.torchscript.internal.code.LogicalLine;
import dev.lowrank.format.torchscript.internal.code.Member;
import dev.lowrank.format.torchscript.internal.code.MethodDef;
import dev.lowrank.format.torchscript.internal.code.Param;
import dev.lowrank.format.torchscript.internal.pickle.Pickler;
import dev.lowrank.format.torchscript.internal.pickle.PyValue;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyCall;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyDict;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyInt;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyList;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyObject;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyStr;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTuple;
import dev.lowrank.format.torchscript.internal.zip.ZipEntryInfo;
import dev.lowrank.format.torchscript.internal.zip.ZipWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes an instrumented copy of an archive for calibration: every observed layer's forward (a
 * linear layer's or a convolution's, whose input is the {@code [N, C_in, H, W]} tensor its {@code
 * conv2d} takes) first appends its input to a list and its own number to a second list, and the
 * top-level module gets a method {@code lowrank_take()} that returns both lists (and empties them).
 *
 * <p>All modules hold the same two lists (one pickled list object, referred to from every
 * instrumented module and from the top-level one, is one list when TorchScript loads it), so the
 * inputs arrive in call order, each tagged with its layer, and a layer called twice in one forward
 * is seen twice. Instances of an instrumented class that are not observed carry the number -1 and
 * append nothing. Classes are edited in place, so no type changes and no other code moves; weights,
 * storages and everything else are copied byte for byte. The copy is for running only: its debug
 * information and mobile bytecode are left out.
 */
final class CaptureArchive {

  /** The attribute holding the shared list of inputs. */
  static final String INPUTS = "lowrank_inputs";

  /** The attribute holding the shared list of layer numbers. */
  static final String IDS = "lowrank_ids";

  /** The attribute holding a module's layer number, -1 when it is not observed. */
  static final String ID = "lowrank_id";

  /** The generated method of the top-level module. */
  static final String TAKE = "lowrank_take";

  private final TorchScriptArchive archive;
  private final List<? extends Site> observed;
  private final Map<String, CodeFile> files = new LinkedHashMap<>();
  private final Map<String, TreeMap<Integer, List<String>>> insertions = new LinkedHashMap<>();
  private final Map<String, List<PyObject>> instances = new LinkedHashMap<>();

  private CaptureArchive(TorchScriptArchive archive, List<? extends Site> observed) {
    this.archive = archive;
    this.observed = observed;
    for (CodeFile f : archive.codeFiles()) {
      files.put(f.entry(), f);
    }
  }

  /**
   * Writes the instrumented copy.
   *
   * @param archive the original archive
   * @param observed the layers to observe; layer {@code i} reports the number {@code i}
   * @param target the file to write (a temporary file the caller deletes)
   * @throws ModelFileException if a layer's class cannot be instrumented
   * @throws IOException if the file cannot be written
   */
  static void write(TorchScriptArchive archive, List<? extends Site> observed, Path target)
      throws ModelFileException, IOException {
    new CaptureArchive(archive, observed).writeTo(target);
  }

  /**
   * Returns whether a layer's forward can report its input: it takes a tensor as its first
   * argument.
   *
   * @param archive the archive
   * @param layer the layer
   * @return {@code true} if {@link #write} can instrument it
   */
  static boolean observable(TorchScriptArchive archive, Site layer) {
    return inputOf(layer.node().cls()) != null;
  }

  /**
   * The name of the forward's input: the plain linear op's input, else the only argument (a forward
   * that takes more, such as a traced layer whose tied weight is passed in, is not observed).
   */
  private static String inputOf(ClassDef c) {
    MethodDef forward = c.methods().get("forward");
    if (forward == null || forward.params().size() < 2 || forward.body().isEmpty()) {
      return null;
    }
    Optional<ForwardShape.Linear> plain = ForwardShape.linear(forward);
    if (plain.isPresent()) {
      return plain.get().input();
    }
    if (forward.params().size() != 2) {
      return null;
    }
    Param p = forward.params().get(1);
    return p.type().isEmpty() || p.type().equals("Tensor") ? p.name() : null;
  }

  private void writeTo(Path target) throws ModelFileException, IOException {
    collectInstances();
    PyObject root = archive.root();
    ClassDef rootClass = archive.classes().get(root.className());
    Map<PyObject, Integer> ids = new IdentityHashMap<>();
    Set<String> edited = new java.util.LinkedHashSet<>();
    for (int i = 0; i < observed.size(); i++) {
      Site l = observed.get(i);
      ids.put(l.node().object(), i);
      edited.add(l.node().cls().qualifiedName());
    }
    for (String name : edited) {
      instrument(archive.classes().get(name));
    }
    declareLists(rootClass, edited.contains(rootClass.qualifiedName()));
    addTake(rootClass);

    PyList inputs = new PyList();
    PyList numbers = new PyList();
    PyCall inputList = new PyCall("torch.jit._pickle", "build_tensorlist", PyTuple.of(inputs));
    PyCall numberList = new PyCall("torch.jit._pickle", "build_intlist", PyTuple.of(numbers));
    Map<PyObject, PyObject> replacements = new IdentityHashMap<>();
    for (String name : edited) {
      for (PyObject o : instances.getOrDefault(name, List.of())) {
        PyDict state = copyState(o);
        state.items().put(new PyStr(INPUTS), inputList);
        state.items().put(new PyStr(IDS), numberList);
        state.items().put(new PyStr(ID), new PyInt(ids.getOrDefault(o, -1)));
        replacements.put(o, new PyObject(o.className(), state));
      }
    }
    if (!replacements.containsKey(root)) {
      PyDict state = copyState(root);
      state.items().put(new PyStr(INPUTS), inputList);
      state.items().put(new PyStr(IDS), numberList);
      replacements.put(root, new PyObject(root.className(), state));
    }
    // A copy of the object graph with the new states in it, so that the pickler sees the shared
    // lists everywhere they occur (and memoizes them) rather than only in substituted objects.
    PyValue copy = copyGraph(root, replacements, new IdentityHashMap<>());
    byte[] data = Pickler.write(copy);
    writeZip(target, data);
  }

  /** Copies objects, lists and dicts (keeping their sharing); other values are immutable. */
  private static PyValue copyGraph(
      PyValue v, Map<PyObject, PyObject> replacements, Map<Object, PyValue> done) {
    PyValue known = done.get(v);
    if (known != null) {
      return known;
    }
    if (v instanceof PyObject o) {
      PyObject source = replacements.getOrDefault(o, o);
      PyObject placeholder = new PyObject(source.className());
      done.put(v, placeholder);
      PyObject out =
          new PyObject(source.className(), copyGraph(source.state(), replacements, done));
      done.put(v, out);
      return out;
    }
    if (v instanceof PyDict d) {
      PyDict out = new PyDict();
      done.put(v, out);
      for (Map.Entry<PyValue, PyValue> e : d.items().entrySet()) {
        out.items()
            .put(
                copyGraph(e.getKey(), replacements, done),
                copyGraph(e.getValue(), replacements, done));
      }
      return out;
    }
    if (v instanceof PyList l) {
      PyList out = new PyList();
      done.put(v, out);
      for (PyValue item : l.items()) {
        out.items().add(copyGraph(item, replacements, done));
      }
      return out;
    }
    if (v instanceof PyTuple t) {
      List<PyValue> items = new ArrayList<>();
      for (PyValue item : t.items()) {
        items.add(copyGraph(item, replacements, done));
      }
      PyTuple out = new PyTuple(items);
      done.put(v, out);
      return out;
    }
    if (v instanceof PyCall c) {
      PyCall out =
          new PyCall(c.module(), c.name(), (PyTuple) copyGraph(c.args(), replacements, done));
      done.put(v, out);
      return out;
    }
    return v;
  }

  private PyDict copyState(PyObject o) throws ModelFileException {
    PyDict original =
        o.attributes()
            .orElseThrow(
                () ->
                    new ModelFileException(
                        archive.path(),
                        "module of class "
                            + o.className()
                            + " has no attribute dict; it cannot be instrumented"));
    for (String name : List.of(INPUTS, IDS, ID)) {
      if (original.get(name).isPresent()) {
        throw new ModelFileException(
            archive.path(),
            "module of class " + o.className() + " already has an attribute " + name);
      }
    }
    PyDict state = new PyDict();
    state.items().putAll(original.items());
    return state;
  }

  /** Declares the attributes and prepends the capture to the forward of a layer class. */
  private void instrument(ClassDef c) throws ModelFileException {
    String input = inputOf(c);
    if (input == null) {
      throw new ModelFileException(
          archive.path(),
          "the forward of class " + c.simpleName() + " takes no tensor; it cannot be observed");
    }
    declareLists(c, false);
    insertBefore(c, firstMethodLine(c), indent(c) + ID + " : int");
    MethodDef forward = c.methods().get("forward");
    LogicalLine first = forward.body().get(0);
    String pad = " ".repeat(first.indent());
    String inner = pad + " ".repeat(Math.max(2, first.indent() - c.memberIndent()));
    List<String> code = new ArrayList<>();
    code.add(pad + "_lowrank_id = self." + ID);
    code.add(pad + "if _lowrank_id >= 0:");
    code.add(inner + "_lowrank_inputs = self." + INPUTS);
    code.add(inner + "_lowrank_0 = torch.append(_lowrank_inputs, " + input + ")");
    code.add(inner + "_lowrank_ids = self." + IDS);
    code.add(inner + "_lowrank_1 = torch.append(_lowrank_ids, _lowrank_id)");
    code.add(pad + "else:");
    code.add(inner + "pass");
    insert(c.entry(), first.firstLine(), code);
  }

  private void declareLists(ClassDef c, boolean alreadyDeclared) {
    if (alreadyDeclared) {
      return;
    }
    insertBefore(c, firstMethodLine(c), indent(c) + INPUTS + " : List[Tensor]");
    insertBefore(c, firstMethodLine(c), indent(c) + IDS + " : List[int]");
  }

  private void addTake(ClassDef root) {
    String pad = indent(root);
    String body = pad + pad;
    List<String> code = new ArrayList<>();
    code.add(
        pad
            + "def "
            + TAKE
            + "(self: "
            + root.qualifiedName()
            + ") -> Tuple[List[Tensor], List[int]]:");
    code.add(body + "_lowrank_inputs = self." + INPUTS);
    code.add(body + "_lowrank_ids = self." + IDS);
    code.add(body + "_lowrank_x = torch.list(_lowrank_inputs)");
    code.add(body + "_lowrank_n = torch.list(_lowrank_ids)");
    code.add(body + "torch.clear(_lowrank_inputs)");
    code.add(body + "torch.clear(_lowrank_ids)");
    code.add(body + "return (_lowrank_x, _lowrank_n)");
    insert(root.entry(), root.endLine(), code);
  }

  private static String indent(ClassDef c) {
    return " ".repeat(Math.max(1, c.memberIndent()));
  }

  private static int firstMethodLine(ClassDef c) {
    for (Member m : c.members()) {
      if (m.kind() == Member.Kind.METHOD) {
        return m.firstLine();
      }
    }
    return c.endLine();
  }

  private void insertBefore(ClassDef c, int line, String text) {
    insert(c.entry(), line, List.of(text));
  }

  private void insert(String entry, int line, List<String> code) {
    insertions
        .computeIfAbsent(entry, k -> new TreeMap<>())
        .computeIfAbsent(line, k -> new ArrayList<>())
        .addAll(code);
  }

  private Map<String, String> editedCode() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, TreeMap<Integer, List<String>>> e : insertions.entrySet()) {
      List<String> lines = files.get(e.getKey()).lines();
      List<String> result = new ArrayList<>();
      for (int i = 0; i <= lines.size(); i++) {
        List<String> before = e.getValue().get(i);
        if (before != null) {
          result.addAll(before);
        }
        if (i < lines.size()) {
          result.add(lines.get(i));
        }
      }
      out.put(e.getKey(), String.join("\n", result) + "\n");
    }
    return out;
  }

  private void collectInstances() {
    Map<Object, Boolean> seen = new IdentityHashMap<>();
    List<PyValue> todo = new ArrayList<>(List.of(archive.root()));
    while (!todo.isEmpty()) {
      PyValue v = todo.remove(todo.size() - 1);
      if (v instanceof PyObject || v instanceof PyList || v instanceof PyDict) {
        if (seen.put(v, Boolean.TRUE) != null) {
          continue;
        }
      }
      if (v instanceof PyObject o) {
        instances.computeIfAbsent(o.className(), k -> new ArrayList<>()).add(o);
        todo.add(o.state());
      } else if (v instanceof PyDict d) {
        todo.addAll(d.items().keySet());
        todo.addAll(d.items().values());
      } else if (v instanceof PyList l) {
        todo.addAll(l.items());
      } else if (v instanceof PyTuple t) {
        todo.addAll(t.items());
      } else if (v instanceof PyCall c) {
        todo.add(c.args());
      }
    }
  }

  private void writeZip(Path target, byte[] dataPickle) throws IOException, ModelFileException {
    Map<String, String> code = editedCode();
    String dataPkl = archive.recordName("data.pkl");
    Set<String> dropped = new HashSet<>();
    dropped.add(archive.recordName("bytecode.pkl"));
    for (String entry : code.keySet()) {
      dropped.add(entry + ".debug_pkl");
    }
    try (FileChannel ch =
        FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
      ZipWriter zip = new ZipWriter(ch);
      for (ZipEntryInfo e : archive.zip().entries()) {
        String name = e.name();
        if (name.equals(dataPkl)) {
          zip.putStored(name, dataPickle);
        } else if (code.containsKey(name)) {
          zip.putStored(name, code.get(name).getBytes(StandardCharsets.UTF_8));
        } else if (!dropped.contains(name)) {
          zip.putCopy(name, archive.zip(), e);
        }
      }
      zip.finish();
    }
  }
}
