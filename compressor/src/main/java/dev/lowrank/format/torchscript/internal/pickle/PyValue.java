package dev.lowrank.format.torchscript.internal.pickle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A value read from a TorchScript pickle ({@code data.pkl}, {@code constants.pkl}): the plain data
 * TorchScript stores, never a live Python object. Objects of the archive's {@code __torch__}
 * classes are records of a class name and a state; tensors are references to storages.
 *
 * <p>Mutable containers ({@link PyList}, {@link PyDict}, {@link PyObject}) and {@link PyTensor}
 * compare by identity, as Python does, so that sharing survives a read and a write.
 */
public sealed interface PyValue
    permits PyValue.PyNone,
        PyValue.PyBool,
        PyValue.PyInt,
        PyValue.PyFloat,
        PyValue.PyStr,
        PyValue.PyBytes,
        PyValue.PyTuple,
        PyValue.PyList,
        PyValue.PyDict,
        PyValue.PyObject,
        PyValue.PyTensor,
        PyValue.PyStorage,
        PyValue.PyGlobal,
        PyValue.PyCall {

  /** Python's {@code None}. */
  enum PyNone implements PyValue {
    /** The only instance. */
    NONE
  }

  /**
   * A bool.
   *
   * @param value the value
   */
  record PyBool(boolean value) implements PyValue {}

  /**
   * An int (TorchScript ints are 64-bit).
   *
   * @param value the value
   */
  record PyInt(long value) implements PyValue {}

  /**
   * A float.
   *
   * @param value the value
   */
  record PyFloat(double value) implements PyValue {}

  /**
   * A str.
   *
   * @param value the value
   */
  record PyStr(String value) implements PyValue {}

  /**
   * A bytes value.
   *
   * @param value the bytes (not copied)
   */
  record PyBytes(byte[] value) implements PyValue {
    @Override
    public boolean equals(Object o) {
      return o instanceof PyBytes b && Arrays.equals(value, b.value);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "PyBytes[" + value.length + "]";
    }
  }

  /**
   * A tuple.
   *
   * @param items the items
   */
  record PyTuple(List<PyValue> items) implements PyValue {
    /** Copies the items. */
    public PyTuple {
      items = List.copyOf(items);
    }

    /**
     * Makes a tuple.
     *
     * @param items the items
     * @return the tuple
     */
    public static PyTuple of(PyValue... items) {
      return new PyTuple(List.of(items));
    }
  }

  /** A list (mutable while it is read; identity semantics). */
  final class PyList implements PyValue {
    private final List<PyValue> items = new ArrayList<>();

    /**
     * Returns the items, which the reader fills.
     *
     * @return the live list
     */
    public List<PyValue> items() {
      return items;
    }

    @Override
    public String toString() {
      return "PyList" + items;
    }
  }

  /** A dict keeping insertion order (identity semantics). */
  final class PyDict implements PyValue {
    private final Map<PyValue, PyValue> items = new LinkedHashMap<>();

    /**
     * Returns the entries, which the reader fills.
     *
     * @return the live map
     */
    public Map<PyValue, PyValue> items() {
      return items;
    }

    /**
     * Looks up a string key.
     *
     * @param key the key
     * @return the value, if present
     */
    public Optional<PyValue> get(String key) {
      return Optional.ofNullable(items.get(new PyStr(key)));
    }

    @Override
    public String toString() {
      return "PyDict" + items;
    }
  }

  /**
   * An object of one of the archive's {@code __torch__} classes: its qualified class name and the
   * state it was built with (for modules, a dict of attribute names to values).
   */
  final class PyObject implements PyValue {
    private final String className;
    private PyValue state = PyNone.NONE;
    private boolean built;

    /**
     * Creates an object before its state is known.
     *
     * @param className the qualified class name, e.g. {@code
     *     __torch__.torch.nn.modules.linear.Linear}
     */
    public PyObject(String className) {
      this.className = className;
    }

    /**
     * Creates an object with its state.
     *
     * @param className the qualified class name
     * @param state the state
     */
    public PyObject(String className, PyValue state) {
      this.className = className;
      this.state = state;
      this.built = true;
    }

    /**
     * Returns the qualified class name.
     *
     * @return the class name
     */
    public String className() {
      return className;
    }

    /**
     * Returns the state, {@code None} until built.
     *
     * @return the state
     */
    public PyValue state() {
      return state;
    }

    /**
     * Returns the state as an attribute dict, if it is one.
     *
     * @return the attributes
     */
    public Optional<PyDict> attributes() {
      return state instanceof PyDict d ? Optional.of(d) : Optional.empty();
    }

    /**
     * Returns one attribute.
     *
     * @param name the attribute name
     * @return its value, if the state is a dict holding it
     */
    public Optional<PyValue> attribute(String name) {
      return attributes().flatMap(d -> d.get(name));
    }

    boolean built() {
      return built;
    }

    void build(PyValue newState) {
      this.state = newState;
      this.built = true;
    }

    @Override
    public String toString() {
      return "PyObject[" + className + "]";
    }
  }

  /**
   * A tensor: a view of a storage (identity semantics: two attributes holding the same tensor hold
   * the same instance).
   */
  final class PyTensor implements PyValue {
    private final Storage storage;
    private final long offset;
    private final long[] size;
    private final long[] stride;
    private final boolean requiresGrad;
    private final List<PyValue> extraArgs;

    /**
     * Creates a tensor.
     *
     * @param storage the storage it views
     * @param offset the storage offset, in elements
     * @param size the shape
     * @param stride the strides, in elements
     * @param requiresGrad whether autograd tracks it
     * @param extraArgs the further arguments of {@code _rebuild_tensor_v2} (backward hooks, and
     *     metadata when present), written back as they were read
     */
    public PyTensor(
        Storage storage,
        long offset,
        long[] size,
        long[] stride,
        boolean requiresGrad,
        List<PyValue> extraArgs) {
      if (size.length != stride.length) {
        throw new IllegalArgumentException("size and stride differ in length");
      }
      this.storage = storage;
      this.offset = offset;
      this.size = size.clone();
      this.stride = stride.clone();
      this.requiresGrad = requiresGrad;
      this.extraArgs = List.copyOf(extraArgs);
    }

    /**
     * Returns the storage.
     *
     * @return the storage
     */
    public Storage storage() {
      return storage;
    }

    /**
     * Returns the storage offset in elements.
     *
     * @return the offset
     */
    public long offset() {
      return offset;
    }

    /**
     * Returns the shape.
     *
     * @return a copy of the sizes
     */
    public long[] size() {
      return size.clone();
    }

    /**
     * Returns the strides.
     *
     * @return a copy of the strides
     */
    public long[] stride() {
      return stride.clone();
    }

    /**
     * Returns the number of dimensions.
     *
     * @return the rank of the tensor
     */
    public int dim() {
      return size.length;
    }

    /**
     * Returns whether autograd tracks the tensor.
     *
     * @return the flag
     */
    public boolean requiresGrad() {
      return requiresGrad;
    }

    /**
     * Returns the arguments after {@code requires_grad}.
     *
     * @return the extra arguments
     */
    public List<PyValue> extraArgs() {
      return extraArgs;
    }

    /**
     * Returns the number of elements, {@code prod(size)}.
     *
     * @return the element count
     * @throws ArithmeticException if it overflows a long
     */
    public long numel() {
      long n = 1;
      for (long s : size) {
        n = Math.multiplyExact(n, s);
      }
      return n;
    }

    @Override
    public String toString() {
      return "PyTensor[" + storage.key() + " " + Arrays.toString(size) + "]";
    }
  }

  /**
   * A call to an allowlisted builder kept as it was read (for example {@code
   * torch.jit._pickle.build_intlist([1, 2])} or {@code collections.OrderedDict()}), so that it is
   * written back the same way; nothing is called.
   *
   * @param module the global's module, e.g. {@code torch.jit._pickle}
   * @param name the global's name, e.g. {@code build_intlist}
   * @param args the arguments
   */
  record PyCall(String module, String name, PyTuple args) implements PyValue {}

  /**
   * A reference to a storage, as a persistent id names it; only meaningful as the first argument of
   * a tensor rebuild.
   *
   * @param storage the storage
   */
  record PyStorage(Storage storage) implements PyValue {}

  /**
   * A reference to an allowlisted global (a storage class, a builder function, an archive class);
   * nothing is ever looked up or called.
   *
   * @param module the module, e.g. {@code torch}
   * @param name the name, e.g. {@code FloatStorage}
   */
  record PyGlobal(String module, String name) implements PyValue {
    /**
     * Returns {@code module.name}.
     *
     * @return the qualified name
     */
    public String qualified() {
      return module + "." + name;
    }

    /**
     * Returns whether the global is one of the archive's own classes.
     *
     * @return {@code true} for {@code __torch__} classes
     */
    public boolean isArchiveClass() {
      return module.equals("__torch__") || module.startsWith("__torch__.");
    }
  }
}
