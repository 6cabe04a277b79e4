package dev.lowrank.format.torchscript.internal.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.TorchScriptFixturesAccess;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyDict;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyFloat;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyInt;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyList;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyObject;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyStr;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTuple;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The pickle writer mirrors TorchScript's, and what it writes reads back the same. */
class PickleRoundTripTest {

  private static final Path FILE = Path.of("test.pt");

  static Stream<String> fixtures() {
    return TorchScriptFixturesAccess.files().stream();
  }

  private static PyValue read(byte[] data) throws ModelFileException {
    return Unpickler.read(data, FILE, "data.pkl", new HashMap<>());
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void rewritingAFixturePickleGivesTheSameBytesAsTorchScript(String file) throws Exception {
    byte[] original = TorchScriptFixturesAccess.entry(file, "data.pkl");
    byte[] again = Pickler.write(read(original));
    assertArrayEquals(original, again, "data.pkl of " + file);
  }

  @Test
  void sharedTensorsStayShared() throws Exception {
    PyObject root =
        (PyObject) read(TorchScriptFixturesAccess.entry("edge_scripted.pt", "data.pkl"));
    PyObject back = (PyObject) read(Pickler.write(root));
    PyTensor a = weight(back, "twin_a");
    PyTensor b = weight(back, "twin_b");
    assertSame(a, b, "tied weights");
    assertSame(a.storage(), b.storage());
  }

  private static PyTensor weight(PyObject root, String module) {
    PyObject m = (PyObject) root.attribute(module).orElseThrow();
    return (PyTensor) m.attribute("weight").orElseThrow();
  }

  @Property
  void integersRoundTrip(@ForAll long v) throws Exception {
    PyValue back = read(Pickler.write(PyTuple.of(new PyInt(v), new PyFloat(v / 3.0))));
    assertEquals(PyTuple.of(new PyInt(v), new PyFloat(v / 3.0)), back);
  }

  @Test
  void containersAndSubstitutionRoundTrip() throws Exception {
    PyList list = new PyList();
    list.items().add(new PyStr("x"));
    PyDict state = new PyDict();
    state.items().put(new PyStr("a"), list);
    state.items().put(new PyStr("b"), list);
    PyObject o = new PyObject("__torch__.M", state);
    byte[] bytes = Pickler.write(o, x -> x == o ? new PyObject("__torch__.N", state) : x);
    PyObject back = (PyObject) read(bytes);
    assertEquals("__torch__.N", back.className());
    assertSame(back.attribute("a").orElseThrow(), back.attribute("b").orElseThrow());
    Map<Object, Boolean> seen = new IdentityHashMap<>();
    seen.put(back.attribute("a").orElseThrow(), true);
    assertEquals(1, seen.size());
    assertEquals(List.of(new PyStr("x")), ((PyList) back.attribute("a").orElseThrow()).items());
  }

  @Test
  void refusesWhatTorchScriptNeverWrites() {
    byte[] ext = {(byte) 0x80, 2, (byte) 0x82, 1, '.'};
    ModelFileException e = assertThrows(ModelFileException.class, () -> read(ext));
    assertTrue(e.getMessage().contains("opcode 0x82"), e.getMessage());
    byte[] bad = {(byte) 0x80, 2, 'h', 7, '.'};
    e = assertThrows(ModelFileException.class, () -> read(bad));
    assertTrue(e.getMessage().contains("memo entry 7"), e.getMessage());
    byte[] cut = {(byte) 0x80, 2, 'X', 100, 0, 0, 0, 'a'};
    e = assertThrows(ModelFileException.class, () -> read(cut));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }
}
