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
 * so that {@code torch.jit.load} reads it back: objects as {@code GLOBAL, EMPTY_TUPLE, NEWOBJ,
 * state, BUILD}, tensors through {@code torch._utils._rebuild_tensor_v2} with a storage persistent
 * id. Objects, lists, dicts and tensors written twice are written once and then fetched from the
 * memo, so sharing is kept.
 */
public final class Pickler {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final UnaryOperator<PyObject> substitute;
  private final Map<Object, Integer> memo = new IdentityHashMap<>();
  private final Map<String, Integer> strings = new HashMap<>();
  private final Map<String, Integer> globals = new HashMap<>();
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
      global(c.module(), c.name());
      tuple(c.args().items());
      out.write('R');
    } else {
      throw new IllegalArgumentException("Cannot pickle " + v);
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

  private void tuple(List<PyValue> items) {
    if (items.isEmpty()) {
      out.write(')');
      return;
    }
    out.write('(');
    for (PyValue item : items) {
      value(item);
    }
    out.write('t');
  }

  private void list(PyList l) {
    if (fetched(l)) {
      return;
    }
    out.write(']');
    remember(l);
    if (!l.items().isEmpty()) {
      out.write('(');
      for (PyValue item : l.items()) {
        value(item);
      }
      out.write('e');
    }
  }

  private void dict(PyDict d) {
    if (fetched(d)) {
      return;
    }
    out.write('}');
    remember(d);
    if (!d.items().isEmpty()) {
      out.write('(');
      for (Map.Entry<PyValue, PyValue> e : d.items().entrySet()) {
        value(e.getKey());
        value(e.getValue());
      }
      out.write('u');
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
    remember(original);
    value(o.state());
    out.write('b');
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
