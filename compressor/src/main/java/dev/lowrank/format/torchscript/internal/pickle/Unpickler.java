package dev.lowrank.format.torchscript.internal.pickle;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyBool;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyBytes;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyCall;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyDict;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyFloat;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyGlobal;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyInt;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyList;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyNone;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyObject;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyStorage;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyStr;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTuple;
import dev.lowrank.format.torchscript.internal.zip.Texts;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a TorchScript pickle into {@link PyValue}s without calling or creating anything but plain
 * data.
 *
 * <p>The globals an archive may name are an allowlist: the tensor rebuild functions, the typed
 * storage classes, {@code collections.OrderedDict}, TorchScript's list and type-tag builders,
 * {@code torch.device}, {@code builtins.complex}, and the archive's own {@code __torch__} classes
 * (which only become {@link PyObject} records). Any other global, such as {@code os.system} or
 * {@code builtins.eval}, and any opcode that would call one ({@code INST}, {@code OBJ}, {@code
 * NEWOBJ_EX}, extensions) is refused with a {@link ModelFileException} naming it.
 */
public final class Unpickler {

  private static final Set<String> BUILDERS =
      Set.of(
          "torch.jit._pickle.build_intlist",
          "torch.jit._pickle.build_tensorlist",
          "torch.jit._pickle.build_doublelist",
          "torch.jit._pickle.build_boollist",
          "torch.jit._pickle.build_complexlist",
          "torch.jit._pickle.restore_type_tag",
          "collections.OrderedDict",
          "torch.device",
          "builtins.complex",
          "torch._utils._rebuild_parameter");

  private static final String REBUILD_TENSOR = "torch._utils._rebuild_tensor_v2";

  private static final Object MARK = new Object();

  private final byte[] data;
  private final Path file;
  private final String entry;
  private final Map<String, Storage> storages;
  private final List<Object> stack = new ArrayList<>();
  private final List<Integer> marks = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();
  private int pos;

  private Unpickler(byte[] data, Path file, String entry, Map<String, Storage> storages) {
    this.data = data;
    this.file = file;
    this.entry = entry;
    this.storages = storages;
  }

  /**
   * Reads one pickle.
   *
   * @param data the pickle bytes
   * @param file the archive, for messages
   * @param entry the entry name, for messages (e.g. {@code data.pkl})
   * @param storages receives the storages the pickle refers to, by key; a key seen again must
   *     describe the same storage
   * @return the pickled value
   * @throws ModelFileException if the pickle is malformed, truncated, or names a global outside the
   *     allowlist
   */
  public static PyValue read(byte[] data, Path file, String entry, Map<String, Storage> storages)
      throws ModelFileException {
    return new Unpickler(data, file, entry, storages).run();
  }

  private PyValue run() throws ModelFileException {
    while (true) {
      if (pos >= data.length) {
        throw fail("is truncated (no STOP opcode)");
      }
      int at = pos;
      int op = data[pos++] & 0xFF;
      switch (op) {
        case 0x80: // PROTO
          int proto = u8();
          if (proto > 5) {
            throw fail("uses pickle protocol " + proto + ", newer than any TorchScript writes");
          }
          break;
        case 0x95: // FRAME
          take(8);
          break;
        case '.': // STOP
          Object result = pop();
          if (!stack.isEmpty() || !marks.isEmpty()) {
            throw fail("is malformed (values left on the stack at STOP)");
          }
          return value(result);
        case '(':
          marks.add(stack.size());
          stack.add(MARK);
          break;
        case '0': // POP
          pop();
          break;
        case '1': // POP_MARK
          popMark();
          break;
        case '2': // DUP
          push(peek());
          break;
        case 'N':
          push(PyNone.NONE);
          break;
        case 0x88:
          push(new PyBool(true));
          break;
        case 0x89:
          push(new PyBool(false));
          break;
        case 'J':
          push(new PyInt(le(4).getInt()));
          break;
        case 'K':
          push(new PyInt(u8()));
          break;
        case 'M':
          push(new PyInt(le(2).getShort() & 0xFFFF));
          break;
        case 0x8a: // LONG1
          push(new PyInt(longOf(u8())));
          break;
        case 0x8b: // LONG4
          push(new PyInt(longOf(lengthOf(le(4).getInt()))));
          break;
        case 'G':
          push(new PyFloat(ByteBuffer.wrap(take(8)).order(ByteOrder.BIG_ENDIAN).getDouble()));
          break;
        case 'X': // BINUNICODE
          push(new PyStr(utf8(take(lengthOf(le(4).getInt())))));
          break;
        case 0x8c: // SHORT_BINUNICODE
          push(new PyStr(utf8(take(u8()))));
          break;
        case 0x8d: // BINUNICODE8
          push(new PyStr(utf8(take(lengthOf(le(8).getLong())))));
          break;
        case 'T': // BINSTRING
          push(new PyStr(new String(take(lengthOf(le(4).getInt())), StandardCharsets.ISO_8859_1)));
          break;
        case 'U': // SHORT_BINSTRING
          push(new PyStr(new String(take(u8()), StandardCharsets.ISO_8859_1)));
          break;
        case 'B': // BINBYTES
          push(new PyBytes(take(lengthOf(le(4).getInt()))));
          break;
        case 'C': // SHORT_BINBYTES
          push(new PyBytes(take(u8())));
          break;
        case 0x8e: // BINBYTES8
          push(new PyBytes(take(lengthOf(le(8).getLong()))));
          break;
        case ')':
          push(PyTuple.of());
          break;
        case 't':
          push(new PyTuple(values(popMark())));
          break;
        case 0x85:
          push(PyTuple.of(value(pop())));
          break;
        case 0x86:
          {
            PyValue b = value(pop());
            PyValue a = value(pop());
            push(PyTuple.of(a, b));
            break;
          }
        case 0x87:
          {
            PyValue c = value(pop());
            PyValue b = value(pop());
            PyValue a = value(pop());
            push(PyTuple.of(a, b, c));
            break;
          }
        case ']':
          push(new PyList());
          break;
        case 'l': // LIST
          {
            PyList list = new PyList();
            list.items().addAll(values(popMark()));
            push(list);
            break;
          }
        case 'a': // APPEND
          {
            PyValue v = value(pop());
            listOnTop().items().add(v);
            break;
          }
        case 'e': // APPENDS
          {
            List<PyValue> items = values(popMark());
            listOnTop().items().addAll(items);
            break;
          }
        case '}':
          push(new PyDict());
          break;
        case 'd': // DICT
          {
            PyDict dict = new PyDict();
            putAll(dict, values(popMark()));
            push(dict);
            break;
          }
        case 's': // SETITEM
          {
            PyValue v = value(pop());
            PyValue k = value(pop());
            putAll(dictOnTop(), List.of(k, v));
            break;
          }
        case 'u': // SETITEMS
          {
            List<PyValue> kv = values(popMark());
            putAll(dictOnTop(), kv);
            break;
          }
        case 'q': // BINPUT
          memo.put((long) u8(), peek());
          break;
        case 'r': // LONG_BINPUT
          memo.put(le(4).getInt() & 0xFFFFFFFFL, peek());
          break;
        case 0x94: // MEMOIZE
          memo.put((long) memo.size(), peek());
          break;
        case 'h': // BINGET
          push(memoGet(u8()));
          break;
        case 'j': // LONG_BINGET
          push(memoGet(le(4).getInt() & 0xFFFFFFFFL));
          break;
        case 'c': // GLOBAL
          push(global(line(), line()));
          break;
        case 0x93: // STACK_GLOBAL
          {
            PyValue name = value(pop());
            PyValue module = value(pop());
            if (!(module instanceof PyStr m) || !(name instanceof PyStr n)) {
              throw fail("is malformed (STACK_GLOBAL needs two strings)");
            }
            push(global(m.value(), n.value()));
            break;
          }
        case 'Q': // BINPERSID
          push(storage(value(pop())));
          break;
        case 0x81: // NEWOBJ
          {
            PyValue args = value(pop());
            Object cls = pop();
            if (!(cls instanceof PyGlobal g) || !g.isArchiveClass()) {
              throw fail(
                  "creates an object of " + describe(cls) + ", which is not an archive class");
            }
            if (!(args instanceof PyTuple t) || !t.items().isEmpty()) {
              throw fail(
                  "creates " + g.qualified() + " with arguments, which TorchScript never does");
            }
            push(new PyObject(g.qualified()));
            break;
          }
        case 'R': // REDUCE
          {
            PyValue args = value(pop());
            Object fn = pop();
            if (!(args instanceof PyTuple t)) {
              throw fail("is malformed (REDUCE without an argument tuple)");
            }
            push(reduce(fn, t));
            break;
          }
        case 'b': // BUILD
          {
            PyValue state = value(pop());
            Object target = peek();
            if (!(target instanceof PyObject o) || o.built()) {
              throw fail(
                  "sets the state of " + describe(target) + ", which TorchScript never does");
            }
            o.build(state);
            break;
          }
        case 'i':
          throw fail("uses the INST opcode, which calls a class; refusing to load it");
        case 'o':
          throw fail("uses the OBJ opcode, which calls a class; refusing to load it");
        case 0x92:
          throw fail("uses the NEWOBJ_EX opcode, which calls a class; refusing to load it");
        default:
          throw fail(
              "uses pickle opcode 0x"
                  + Integer.toHexString(op)
                  + " at byte "
                  + at
                  + ", which TorchScript archives do not use; refusing to load it");
      }
    }
  }

  private PyGlobal global(String module, String name) throws ModelFileException {
    PyGlobal g = new PyGlobal(module, name);
    String q = g.qualified();
    if (g.isArchiveClass()) {
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw fail("names the class '" + Texts.printable(q) + "', which is not a valid name");
      }
      return g;
    }
    if (q.equals(REBUILD_TENSOR) || BUILDERS.contains(q)) {
      return g;
    }
    if (module.equals("torch") && DType.ofStorageClass(name).isPresent()) {
      return g;
    }
    if (q.equals("torch._utils._rebuild_qtensor")) {
      throw fail(
          "holds quantized tensors (torch._utils._rebuild_qtensor), which lowrank does not support");
    }
    throw fail(
        "names the global '"
            + Texts.printable(q)
            + "', which TorchScript archives never use; refusing to load it");
  }

  private PyValue reduce(Object fn, PyTuple args) throws ModelFileException {
    if (!(fn instanceof PyGlobal g)
        || !(g.qualified().equals(REBUILD_TENSOR) || BUILDERS.contains(g.qualified()))) {
      throw fail(
          "calls " + describe(fn) + ", which is not an allowed function; refusing to load it");
    }
    String q = g.qualified();
    if (q.equals(REBUILD_TENSOR)) {
      return tensor(args);
    }
    if (q.equals("collections.OrderedDict") && !args.items().isEmpty()) {
      throw fail("builds an OrderedDict with arguments, which TorchScript never does");
    }
    return new PyCall(g.module(), g.name(), args);
  }

  private PyTensor tensor(PyTuple args) throws ModelFileException {
    List<PyValue> a = args.items();
    if (a.size() < 6
        || !(a.get(0) instanceof PyStorage sv)
        || !(a.get(1) instanceof PyInt offset)
        || !(a.get(2) instanceof PyTuple size)
        || !(a.get(3) instanceof PyTuple stride)
        || !(a.get(4) instanceof PyBool requiresGrad)
        || size.items().size() != stride.items().size()) {
      throw fail("holds a malformed tensor (bad arguments to _rebuild_tensor_v2)");
    }
    return new PyTensor(
        sv.storage(),
        offset.value(),
        longs(size),
        longs(stride),
        requiresGrad.value(),
        a.subList(5, a.size()));
  }

  private long[] longs(PyTuple t) throws ModelFileException {
    long[] out = new long[t.items().size()];
    for (int i = 0; i < out.length; i++) {
      if (!(t.items().get(i) instanceof PyInt v)) {
        throw fail("holds a malformed tensor (a size or stride is not an int)");
      }
      out[i] = v.value();
    }
    return out;
  }

  private PyStorage storage(PyValue pid) throws ModelFileException {
    if (!(pid instanceof PyTuple t)
        || t.items().size() != 5
        || !(t.items().get(0) instanceof PyStr tag)
        || !tag.value().equals("storage")
        || !(t.items().get(1) instanceof PyGlobal type)
        || !type.module().equals("torch")
        || !(t.items().get(2) instanceof PyStr key)
        || !(t.items().get(3) instanceof PyStr location)
        || !(t.items().get(4) instanceof PyInt numel)) {
      throw fail("holds a persistent id that is not a TorchScript storage reference");
    }
    DType dtype =
        DType.ofStorageClass(type.name())
            .orElseThrow(() -> fail("names an unknown storage type " + type.qualified()));
    if (numel.value() < 0) {
      throw fail("declares storage '" + key.value() + "' with a negative size");
    }
    if (!key.value().matches("[A-Za-z0-9_.-]{1,200}") || key.value().contains("..")) {
      throw fail("names storage '" + Texts.printable(key.value()) + "', not a valid key");
    }
    Storage s = new Storage(key.value(), dtype, location.value(), numel.value());
    Storage known = storages.putIfAbsent(s.key(), s);
    if (known != null && !known.equals(s)) {
      throw fail("describes storage '" + s.key() + "' twice with different types or sizes");
    }
    return new PyStorage(known == null ? s : known);
  }

  private Object memoGet(long index) throws ModelFileException {
    Object v = memo.get(index);
    if (v == null) {
      throw fail("is malformed (memo entry " + index + " read before it is written)");
    }
    return v;
  }

  private void putAll(PyDict dict, List<PyValue> kv) throws ModelFileException {
    if (kv.size() % 2 != 0) {
      throw fail("is malformed (a dict with an odd number of keys and values)");
    }
    for (int i = 0; i < kv.size(); i += 2) {
      PyValue k = kv.get(i);
      if (k instanceof PyList || k instanceof PyDict) {
        throw fail("is malformed (an unhashable dict key)");
      }
      dict.items().put(k, kv.get(i + 1));
    }
  }

  private PyList listOnTop() throws ModelFileException {
    if (!(peek() instanceof PyList l)) {
      throw fail("is malformed (APPEND to something that is not a list)");
    }
    return l;
  }

  private PyDict dictOnTop() throws ModelFileException {
    if (!(peek() instanceof PyDict d)) {
      throw fail("is malformed (SETITEM on something that is not a dict)");
    }
    return d;
  }

  private List<Object> popMark() throws ModelFileException {
    if (marks.isEmpty()) {
      throw fail("is malformed (no MARK)");
    }
    int m = marks.remove(marks.size() - 1);
    List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
    stack.subList(m, stack.size()).clear();
    return items;
  }

  private List<PyValue> values(List<Object> items) throws ModelFileException {
    List<PyValue> out = new ArrayList<>(items.size());
    for (Object o : items) {
      out.add(value(o));
    }
    return out;
  }

  private PyValue value(Object o) throws ModelFileException {
    if (o instanceof PyValue v) {
      return v;
    }
    throw fail("is malformed (" + describe(o) + " used as a value)");
  }

  private String describe(Object o) {
    if (o instanceof PyGlobal g) {
      return "'" + Texts.printable(g.qualified()) + "'";
    }
    if (o == MARK) {
      return "a MARK";
    }
    if (o instanceof PyObject p) {
      return "an object of " + p.className();
    }
    return o instanceof PyValue v ? v.getClass().getSimpleName() : "a storage";
  }

  private void push(Object o) {
    stack.add(o);
  }

  private Object peek() throws ModelFileException {
    if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
      throw fail("is malformed (stack underflow)");
    }
    return stack.get(stack.size() - 1);
  }

  private Object pop() throws ModelFileException {
    Object o = peek();
    stack.remove(stack.size() - 1);
    return o;
  }

  private int u8() throws ModelFileException {
    return take(1)[0] & 0xFF;
  }

  private ByteBuffer le(int n) throws ModelFileException {
    return ByteBuffer.wrap(take(n)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private int lengthOf(long n) throws ModelFileException {
    if (n < 0 || n > data.length - pos) {
      throw fail("is truncated or corrupt (a length of " + n + " at byte " + pos + ")");
    }
    return (int) n;
  }

  private byte[] take(int n) throws ModelFileException {
    if (n < 0 || n > data.length - pos) {
      throw fail("is truncated at byte " + pos);
    }
    byte[] out = new byte[n];
    System.arraycopy(data, pos, out, 0, n);
    pos += n;
    return out;
  }

  private long longOf(int n) throws ModelFileException {
    if (n > 8) {
      throw fail("holds an integer wider than 64 bits, which TorchScript cannot hold");
    }
    byte[] le = take(n);
    if (n == 0) {
      return 0;
    }
    byte[] be = new byte[n];
    for (int i = 0; i < n; i++) {
      be[i] = le[n - 1 - i];
    }
    return new BigInteger(be).longValue();
  }

  private String line() throws ModelFileException {
    int start = pos;
    while (pos < data.length && data[pos] != '\n') {
      pos++;
    }
    if (pos >= data.length || pos - start > 1024) {
      throw fail("is truncated or corrupt (a GLOBAL name without its end)");
    }
    String s = new String(data, start, pos - start, StandardCharsets.ISO_8859_1);
    pos++;
    return s;
  }

  private String utf8(byte[] bytes) throws ModelFileException {
    return Texts.strictUtf8(ByteBuffer.wrap(bytes))
        .orElseThrow(() -> fail("holds a string that is not valid UTF-8"));
  }

  private ModelFileException fail(String what) {
    return new ModelFileException(file, entry + " " + what);
  }
}
