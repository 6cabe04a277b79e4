package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.internal.code.ClassDef;
import dev.lowrank.format.torchscript.internal.code.CodeException;
import dev.lowrank.format.torchscript.internal.code.CodeFile;
import dev.lowrank.format.torchscript.internal.code.CodeParser;
import dev.lowrank.format.torchscript.internal.pickle.PyValue;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyCall;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyDict;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyList;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyObject;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTuple;
import dev.lowrank.format.torchscript.internal.pickle.Storage;
import dev.lowrank.format.torchscript.internal.pickle.Unpickler;
import dev.lowrank.format.torchscript.internal.zip.Texts;
import dev.lowrank.format.torchscript.internal.zip.ZipArchive;
import dev.lowrank.format.torchscript.internal.zip.ZipEntryInfo;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An opened TorchScript archive, checked from end to end: the zip, the pickled module tree in
 * {@code data.pkl} (and {@code constants.pkl}), every class's code, and every tensor against the
 * storage entry it views. Nothing from the archive is executed.
 *
 * <p>Layout ({@code <prefix>} is the archive's top folder, the file name PyTorch saved it under):
 * {@code <prefix>/data.pkl}, {@code <prefix>/code/__torch__/**.py} (each with an optional {@code
 * .debug_pkl}), {@code <prefix>/data/<key>} storages, {@code <prefix>/constants.pkl} and {@code
 * <prefix>/constants/<key>}, {@code <prefix>/version} or {@code <prefix>/.data/version}, and from
 * PyTorch 2 {@code <prefix>/byteorder} and {@code <prefix>/.data/serialization_id}.
 */
public final class TorchScriptArchive implements Closeable {

  /** The most bytes read from a pickle. */
  static final long MAX_PICKLE = 1L << 30;

  /** The most bytes read from one code file. */
  static final long MAX_CODE = 64L << 20;

  /** How deep values may nest (real models nest a few dozen levels). */
  static final int MAX_DEPTH = 200;

  /**
   * The lowest archive format version read: PyTorch writes at least 3 ({@code
   * kMinProducedFileFormatVersion} in {@code caffe2/serialize/versions.h}) since before 1.13.
   */
  static final int MIN_VERSION = 3;

  /**
   * The highest archive format version read: 10 ({@code kProducedFileFormatVersion} and {@code
   * kMaxSupportedFileFormatVersion} of PyTorch 1.13 to 2.x; an archive that uses operators with
   * upgraders, such as {@code aten::gelu}, is written with that operator's version, from 4 to 10).
   */
  static final int MAX_VERSION = 10;

  private final Path path;
  private final ZipArchive zip;
  private final String prefix;
  private final PyObject root;
  private final PyValue constants;
  private final Map<String, ClassDef> classes;
  private final List<CodeFile> codeFiles;
  private final ByteOrder byteOrder;
  private final Map<PyTensor, Integer> tensorUses;
  private final Map<Storage, Integer> storageTensors;

  private TorchScriptArchive(Builder b) {
    this.path = b.path;
    this.zip = b.zip;
    this.prefix = b.prefix;
    this.root = b.root;
    this.constants = b.constants;
    this.classes = Collections.unmodifiableMap(b.classes);
    this.codeFiles = List.copyOf(b.codeFiles);
    this.byteOrder = b.byteOrder;
    this.tensorUses = b.tensorUses;
    this.storageTensors = b.storageTensors;
  }

  /**
   * Opens and checks an archive.
   *
   * @param path the {@code .pt} file
   * @return the archive, to be closed by the caller
   * @throws ModelFileException if the file is not a TorchScript archive lowrank can read, or is
   *     damaged or hostile
   */
  public static TorchScriptArchive open(Path path) throws ModelFileException {
    ZipArchive zip = ZipArchive.open(path);
    try {
      return new Builder(path, zip).build();
    } catch (ModelFileException | RuntimeException e) {
      try {
        zip.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Returns the file.
   *
   * @return the archive's path
   */
  public Path path() {
    return path;
  }

  /**
   * Returns the zip archive.
   *
   * @return the open zip
   */
  public ZipArchive zip() {
    return zip;
  }

  /**
   * Returns the root module.
   *
   * @return the object {@code data.pkl} holds
   */
  public PyObject root() {
    return root;
  }

  /**
   * Returns the classes declared by the archive's code, by qualified name.
   *
   * @return an unmodifiable map
   */
  public Map<String, ClassDef> classes() {
    return classes;
  }

  /**
   * Returns the parsed code files.
   *
   * @return the files, in archive order
   */
  public List<CodeFile> codeFiles() {
    return codeFiles;
  }

  /**
   * Returns the byte order of tensor data ({@code byteorder} record, little endian without one).
   *
   * @return the byte order
   */
  public ByteOrder byteOrder() {
    return byteOrder;
  }

  /**
   * Returns how many times a tensor of {@code data.pkl} is referred to.
   *
   * @param t a tensor of this archive
   * @return its reference count, 0 if it is not in {@code data.pkl}
   */
  public int uses(PyTensor t) {
    return tensorUses.getOrDefault(t, 0);
  }

  /**
   * Returns how many distinct tensors of {@code data.pkl} view a storage.
   *
   * @param s a storage of {@code data.pkl}
   * @return the number of tensors
   */
  public int tensorsOf(Storage s) {
    return storageTensors.getOrDefault(s, 0);
  }

  /**
   * Returns the entry holding a {@code data.pkl} storage.
   *
   * @param s the storage
   * @return its entry
   * @throws ModelFileException if the archive has no such entry
   */
  public ZipEntryInfo storageEntry(Storage s) throws ModelFileException {
    return entry(dataEntryName(s.key()), "storage");
  }

  /**
   * Returns the entry name of a {@code data.pkl} storage key.
   *
   * @param key the key
   * @return {@code <prefix>/data/<key>}
   */
  public String dataEntryName(String key) {
    return prefix + "/data/" + key;
  }

  /**
   * Returns the full name of a record.
   *
   * @param record a name relative to the prefix, e.g. {@code data.pkl}
   * @return {@code <prefix>/<record>}
   */
  public String recordName(String record) {
    return prefix + "/" + record;
  }

  private ZipEntryInfo entry(String name, String what) throws ModelFileException {
    return zip.find(name)
        .orElseThrow(
            () -> new ModelFileException(path, "is missing the " + what + " entry '" + name + "'"));
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }

  /** Reads and checks the parts of an archive in order. */
  private static final class Builder {
    private final Path path;
    private final ZipArchive zip;
    private String prefix;
    private PyObject root;
    private PyValue constants = PyTuple.of();
    private final Map<String, ClassDef> classes = new LinkedHashMap<>();
    private final List<CodeFile> codeFiles = new ArrayList<>();
    private ByteOrder byteOrder = ByteOrder.LITTLE_ENDIAN;
    private final Map<PyTensor, Integer> tensorUses = new IdentityHashMap<>();
    private final Map<Storage, Integer> storageTensors = new LinkedHashMap<>();

    Builder(Path path, ZipArchive zip) {
      this.path = path;
      this.zip = zip;
    }

    TorchScriptArchive build() throws ModelFileException {
      if (zip.entries().isEmpty()) {
        throw fail("is an empty zip archive, not a TorchScript model");
      }
      String first = zip.entries().get(0).name();
      int slash = first.indexOf('/');
      if (slash <= 0) {
        throw fail(
            "is not a TorchScript archive (its first entry '"
                + Texts.printable(first)
                + "' is not inside a folder)");
      }
      prefix = first.substring(0, slash);
      ZipEntryInfo data =
          zip.find(prefix + "/data.pkl")
              .orElseThrow(
                  () ->
                      fail(
                          "is not a TorchScript archive (it has no "
                              + prefix
                              + "/data.pkl entry)"));
      readVersion();
      readByteOrder();
      readCode();
      PyValue value =
          Unpickler.read(zip.readAll(data, MAX_PICKLE), path, "data.pkl", new LinkedHashMap<>());
      if (!(value instanceof PyObject o)) {
        throw fail("data.pkl does not hold a module object");
      }
      root = o;
      Optional<ZipEntryInfo> constantsEntry = zip.find(prefix + "/constants.pkl");
      if (constantsEntry.isPresent()) {
        constants =
            Unpickler.read(
                zip.readAll(constantsEntry.get(), MAX_PICKLE),
                path,
                "constants.pkl",
                new LinkedHashMap<>());
      }
      Map<Object, Boolean> seen = new IdentityHashMap<>();
      check(root, "data.pkl", "data", 0, seen, true);
      check(constants, "constants.pkl", "constants", 0, new IdentityHashMap<>(), false);
      return new TorchScriptArchive(this);
    }

    /**
     * Checks the version records: {@code .data/version} (PyTorch 2) and {@code version}, each that
     * is present, must hold a version from {@link #MIN_VERSION} to {@link #MAX_VERSION}.
     */
    private void readVersion() throws ModelFileException {
      List<ZipEntryInfo> records = new ArrayList<>();
      zip.find(prefix + "/.data/version").ifPresent(records::add);
      zip.find(prefix + "/version").ifPresent(records::add);
      if (records.isEmpty()) {
        throw fail("is not a TorchScript archive (it has no version record)");
      }
      for (ZipEntryInfo v : records) {
        String text = new String(zip.readAll(v, 64), StandardCharsets.US_ASCII).trim();
        if (!text.matches("[0-9]{1,6}")) {
          throw fail("has a malformed version record '" + Texts.printable(text) + "'");
        }
        int version = Integer.parseInt(text);
        if (version < MIN_VERSION || version > MAX_VERSION) {
          throw fail(
              "has archive format version "
                  + version
                  + " in "
                  + v.name()
                  + "; lowrank reads format versions "
                  + MIN_VERSION
                  + " to "
                  + MAX_VERSION
                  + ", which PyTorch 1.13 to 2.x write");
        }
      }
    }

    private void readByteOrder() throws ModelFileException {
      Optional<ZipEntryInfo> b = zip.find(prefix + "/byteorder");
      if (b.isPresent()) {
        String order = new String(zip.readAll(b.get(), 64), StandardCharsets.US_ASCII).trim();
        switch (order) {
          case "little" -> byteOrder = ByteOrder.LITTLE_ENDIAN;
          case "big" -> byteOrder = ByteOrder.BIG_ENDIAN;
          default -> throw fail("has an unknown byteorder record '" + order + "'");
        }
      }
    }

    private void readCode() throws ModelFileException {
      String codeDir = prefix + "/code/";
      for (ZipEntryInfo e : zip.entries()) {
        String name = e.name();
        if (!name.startsWith(codeDir) || !name.endsWith(".py")) {
          continue;
        }
        String rel = name.substring(codeDir.length(), name.length() - 3);
        String qualifier = rel.replace('/', '.');
        String text = utf8(zip.readAll(e, MAX_CODE), name);
        CodeFile file;
        try {
          file = CodeParser.parse(name, qualifier, text);
        } catch (CodeException ex) {
          throw fail(
              ex.syntaxError()
                  ? "has corrupt code in "
                      + name
                      + ", which is not TorchScript (PyTorch cannot load it either): "
                      + ex.getMessage()
                  : "has code lowrank cannot read in " + name + ": " + ex.getMessage());
        }
        codeFiles.add(file);
        for (ClassDef c : file.classes()) {
          if (classes.put(c.qualifiedName(), c) != null) {
            throw fail("declares class " + c.qualifiedName() + " twice");
          }
        }
      }
      if (codeFiles.isEmpty()) {
        throw fail(
            "has no code/ folder: it looks like a torch.save checkpoint, not a TorchScript"
                + " module (save the model with torch.jit.save(torch.jit.script(model), ...))");
      }
    }

    private String utf8(byte[] bytes, String entry) throws ModelFileException {
      return Texts.strictUtf8(ByteBuffer.wrap(bytes))
          .orElseThrow(() -> fail("has code that is not UTF-8 in " + entry));
    }

    /**
     * Walks a pickled value: every object must have code, every tensor must fit its storage, and
     * nothing may nest too deeply. Counts tensor references when {@code count}.
     */
    private void check(
        PyValue v,
        String where,
        String storageDir,
        int depth,
        Map<Object, Boolean> seen,
        boolean count)
        throws ModelFileException {
      if (depth > MAX_DEPTH) {
        throw fail(where + " nests values deeper than " + MAX_DEPTH + " levels");
      }
      if (v instanceof PyTensor t) {
        if (count) {
          tensorUses.merge(t, 1, Integer::sum);
        }
        if (seen.put(t, Boolean.TRUE) == null) {
          checkTensor(t, where, storageDir);
          if (count) {
            storageTensors.merge(t.storage(), 1, Integer::sum);
          }
        }
        return;
      }
      if (v instanceof PyObject || v instanceof PyList || v instanceof PyDict) {
        if (seen.get(v) == Boolean.FALSE) {
          throw fail(where + " holds a value that contains itself");
        }
        if (seen.put(v, Boolean.FALSE) != null) {
          return;
        }
        checkContents(v, where, storageDir, depth, seen, count);
        seen.put(v, Boolean.TRUE);
        return;
      }
      checkContents(v, where, storageDir, depth, seen, count);
    }

    /** Walks the values inside {@code v}; {@code seen} maps containers being walked to false. */
    private void checkContents(
        PyValue v,
        String where,
        String storageDir,
        int depth,
        Map<Object, Boolean> seen,
        boolean count)
        throws ModelFileException {
      if (v instanceof PyObject o) {
        ClassDef c = classes.get(o.className());
        if (c == null) {
          String why =
              o.className().startsWith("__torch__.torch.classes.")
                  ? "the custom C++ class " + o.className() + ", which lowrank cannot read"
                  : "class " + o.className() + ", but the archive has no code for it";
          throw fail(where + " holds an object of " + why);
        }
        if (o.attributes().isPresent() && !seen.containsKey(o.attributes().get())) {
          seen.put(o.attributes().get(), Boolean.FALSE);
          for (Map.Entry<PyValue, PyValue> e : o.attributes().get().items().entrySet()) {
            String name = e.getKey() instanceof PyValue.PyStr s ? s.value() : "?";
            String at = where.contains(", at ") ? where + "." + name : where + ", at " + name;
            check(e.getValue(), at, storageDir, depth + 1, seen, count);
          }
          seen.put(o.attributes().get(), Boolean.TRUE);
        } else {
          check(o.state(), where, storageDir, depth + 1, seen, count);
        }
      } else if (v instanceof PyDict d) {
        for (Map.Entry<PyValue, PyValue> e : d.items().entrySet()) {
          check(e.getKey(), where, storageDir, depth + 1, seen, count);
          check(e.getValue(), where, storageDir, depth + 1, seen, count);
        }
      } else if (v instanceof PyList l) {
        for (PyValue item : l.items()) {
          check(item, where, storageDir, depth + 1, seen, count);
        }
      } else if (v instanceof PyTuple t) {
        for (PyValue item : t.items()) {
          check(item, where, storageDir, depth + 1, seen, count);
        }
      } else if (v instanceof PyCall c) {
        check(c.args(), where, storageDir, depth + 1, seen, count);
      } else if (v instanceof PyValue.PyStorage) {
        throw fail(where + " holds a bare storage, which TorchScript never writes");
      }
    }

    private void checkTensor(PyTensor t, String where, String storageDir)
        throws ModelFileException {
      Storage s = t.storage();
      String entryName = prefix + "/" + storageDir + "/" + s.key();
      ZipEntryInfo e =
          zip.find(entryName)
              .orElseThrow(
                  () ->
                      fail(
                          where
                              + " refers to storage '"
                              + s.key()
                              + "' but the archive has no entry "
                              + entryName));
      long needed;
      long storageBytes;
      try {
        needed = TensorLayout.elementsNeeded(t);
        storageBytes = s.byteSize();
      } catch (ArithmeticException | IllegalArgumentException ex) {
        throw fail(where + " holds a tensor of absurd size (" + ex.getMessage() + ")");
      }
      if (needed > s.numel()) {
        throw fail(
            where
                + " holds a tensor that needs "
                + needed
                + " elements of storage '"
                + s.key()
                + "', which holds only "
                + s.numel()
                + " (size, stride or offset out of range)");
      }
      if (storageBytes > e.size()) {
        throw fail(
            "storage entry "
                + entryName
                + " holds "
                + e.size()
                + " bytes, fewer than the "
                + storageBytes
                + " its "
                + s.numel()
                + " "
                + s.dtype().name().toLowerCase(java.util.Locale.ROOT)
                + " values need (truncated or corrupt)");
      }
    }

    private ModelFileException fail(String what) {
      return new ModelFileException(path, what);
    }
  }
}
