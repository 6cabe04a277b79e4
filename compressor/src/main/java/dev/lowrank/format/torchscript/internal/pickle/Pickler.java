package dev.lowrank.format.torchscript.internal.pickle;

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
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Writes {@link PyValue}s as a protocol-2 pickle with the opcodes TorchScript's own pickler uses,
 * in the same order and with the same memo entries, so that a pickle TorchScript wrote is written
 * back byte for byte: objects as {@code GLOBAL, EMPTY_TUPLE, NEWOBJ, state, BUILD}, tensors through
 * {@code torch._utils._rebuild_tensor_v2} with a storage persistent id, strings and globals
 * memoized by value. Objects and tensors met twice are fetched from the memo, as are lists and
 * dicts referred to more than once, so sharing is kept.
 */
public final class Pickler {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final UnaryOperator<PyObject> substitute;
  private final Map<Object, Integer> memo = new IdentityHashMap<>();
  private final Map<String, Integer> strings = new HashMap<>();
  private final Map<String, Integer> globals = new HashMap<>();
  private final Map<Object, Integer> references = new IdentityHashMap<>();
  private int next;

  private Pickler(UnaryOperator<PyObject> substitute) {
    this.substitute = substitute;
  }

  /**
   * Pickles a value.
   *
   * @param root the value
   * @return the pickle bytes
   */
  public static byte[] write(PyValue root) {
    return write(root, UnaryOperator.identity());
  }

  /**
   * Pickles a value, writing some objects in place of others.
   *
   * @param root the value
   * @param substitute maps each object met to the object to write in its place (itself when
   *     unchanged); applied once per object, sharing is kept
   * @return the pickle bytes
   */
  public static byte[] write(PyValue root, UnaryOperator<PyObject> substitute) {
    Pickler p = new Pickler(substitute);
    p.count(root);
    p.out.write(0x80);
    p.out.write(2);
    p.value(root);
    p.out.write('.');
    return p.out.toByteArray();
  }

  private void value(PyValue v) {
    if (v instanceof PyNone) {
      out.write('N');
    } else if (v instanceof PyBool b) {
      out.write(b.value() ? 0x88 : 0x89);
    } else if (v instanceof PyInt i) {
      integer(i.value());
    } else if (v instanceof PyFloat f) {
      out.write('G');
      out.writeBytes(
          ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(f.value()).array());
    } else if (v instanceof PyStr s) {
      string(s.value());
    } else if (v instanceof PyBytes b) {
      out.write('B');
      out.writeBytes(le4(b.value().length));
      out.writeBytes(b.value());
    } else if (v instanceof PyTuple t) {
      tuple(t.items());
    } else if (v instanceof PyList l) {
      list(l);
    } else if (v instanceof PyDict d) {
      dict(d);
    } else if (v instanceof PyObject o) {
      object(o);
    } else if (v instanceof PyTensor t) {
      tensor(t);
    } else if (v instanceof PyStorage s) {
      storage(s.storage());
    } else if (v instanceof PyGlobal g) {
      global(g.module(), g.name());
    } else if (v instanceof PyCall c) {
      call(c);
    } else {
      throw new IllegalArgumentException("Cannot pickle " + v);
    }
  }

  /** Counts the references to each list and dict, to memoize the shared ones only. */
  private void count(PyValue root) {
    java.util.ArrayDeque<PyValue> todo = new java.util.ArrayDeque<>(List.of(root));
    Map<Object, Boolean> visited = new IdentityHashMap<>();
    while (!todo.isEmpty()) {
      PyValue v = todo.pop();
      if (v instanceof PyList || v instanceof PyDict) {
        references.merge(v, 1, Integer::sum);
      }
      if (v instanceof PyList || v instanceof PyDict || v instanceof PyObject) {
        if (visited.put(v, Boolean.TRUE) != null) {
          continue;
        }
      }
      if (v instanceof PyList l) {
        l.items().forEach(todo::push);
      } else if (v instanceof PyDict d) {
        d.items()
            .forEach(
                (k, x) -> {
                  todo.push(k);
                  todo.push(x);
                });
      } else if (v instanceof PyTuple t) {
        t.items().forEach(todo::push);
      } else if (v instanceof PyCall c) {
        todo.push(c.args());
      } else if (v instanceof PyObject o) {
        todo.push(o.state());
      }
    }
  }

  private boolean fetched(Object o) {
    Integer id = memo.get(o);
    if (id == null) {
      return false;
    }
    get(id);
    return true;
  }

  private void remember(Object o) {
    int id = next++;
    memo.put(o, id);
    put(id);
  }

  private boolean shared(Object o) {
    return references.getOrDefault(o, 0) > 1;
  }

  private void tuple(List<PyValue> items) {
    switch (items.size()) {
      case 0 -> out.write(')');
      case 1, 2, 3 -> {
        items.forEach(this::value);
        out.write(0x85 + items.size() - 1);
      }
      default -> markedTuple(items);
    }
  }

  private void markedTuple(List<PyValue> items) {
    out.write('(');
    items.forEach(this::value);
    out.write('t');
  }

  private void list(PyList l) {
    if (fetched(l)) {
      return;
    }
    out.write(']');
    if (!l.items().isEmpty()) {
      out.write('(');
      for (PyValue item : l.items()) {
        value(item);
      }
      out.write('e');
    }
    if (shared(l)) {
      remember(l);
    }
  }

  private void dict(PyDict d) {
    if (fetched(d)) {
      return;
    }
    out.write('}');
    if (!d.items().isEmpty()) {
      out.write('(');
      for (Map.Entry<PyValue, PyValue> e : d.items().entrySet()) {
        value(e.getKey());
        value(e.getValue());
      }
      out.write('u');
    }
    if (shared(d)) {
      remember(d);
    }
  }

  private void call(PyCall c) {
    global(c.module(), c.name());
    boolean builder = c.module().equals("torch.jit._pickle") && c.name().startsWith("build_");
    if (builder) {
      markedTuple(c.args().items());
    } else {
      tuple(c.args().items());
    }
    out.write('R');
    if (c.module().equals("torch") && c.name().equals("device")) {
      put(next++);
    }
  }

  private void object(PyObject original) {
    if (fetched(original)) {
      return;
    }
    PyObject o = substitute.apply(original);
    String name = o.className();
    int dot = name.lastIndexOf('.');
    global(name.substring(0, dot), name.substring(dot + 1));
    out.write(')');
    out.write(0x81);
    value(o.state());
    out.write('b');
    remember(original);
  }

  private void tensor(PyTensor t) {
    if (fetched(t)) {
      return;
    }
    global("torch._utils", "_rebuild_tensor_v2");
    out.write('(');
    storage(t.storage());
    integer(t.offset());
    out.write('(');
    for (long s : t.size()) {
      integer(s);
    }
    out.write('t');
    out.write('(');
    for (long s : t.stride()) {
      integer(s);
    }
    out.write('t');
    out.write(t.requiresGrad() ? 0x88 : 0x89);
    for (PyValue extra : t.extraArgs()) {
      value(extra);
    }
    out.write('t');
    out.write('R');
    remember(t);
  }

  private void storage(Storage s) {
    out.write('(');
    string("storage");
    global("torch", s.dtype().storageClass());
    string(s.key());
    string(s.location());
    integer(s.numel());
    out.write('t');
    out.write('Q');
    put(next++);
  }

  private void global(String module, String name) {
    String key = module + "\n" + name + "\n";
    Integer id = globals.get(key);
    if (id != null) {
      get(id);
      return;
    }
    out.write('c');
    out.writeBytes(key.getBytes(StandardCharsets.UTF_8));
    globals.put(key, next);
    put(next++);
  }

  private void string(String s) {
    Integer id = strings.get(s);
    if (id != null) {
      get(id);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write('X');
    out.writeBytes(le4(b.length));
    out.writeBytes(b);
    strings.put(s, next);
    put(next++);
  }

  private void integer(long v) {
    if (v >= 0 && v < 256) {
      out.write('K');
      out.write((int) v);
    } else if (v >= 0 && v < 65536) {
      out.write('M');
      out.write((int) (v & 0xFF));
      out.write((int) (v >>> 8));
    } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      out.write('J');
      out.writeBytes(le4((int) v));
    } else {
      out.write(0x8a);
      out.write(8);
      out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }
  }

  private void put(int id) {
    if (id < 256) {
      out.write('q');
      out.write(id);
    } else {
      out.write('r');
      out.writeBytes(le4(id));
    }
  }

  private void get(int id) {
    if (id < 256) {
      out.write('h');
      out.write(id);
    } else {
      out.write('j');
      out.writeBytes(le4(id));
    }
  }

  private static byte[] le4(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }
}
