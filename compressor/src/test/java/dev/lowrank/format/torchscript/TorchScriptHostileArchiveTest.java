package dev.lowrank.format.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.internal.pickle.Pickler;
import dev.lowrank.format.torchscript.internal.pickle.PyValue;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyObject;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyStr;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import dev.lowrank.format.torchscript.internal.pickle.Unpickler;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackends;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged and hostile archives: each is refused with a one-line {@link ModelFileException} that
 * names the file and the problem, the input is left unchanged and no output appears.
 */
class TorchScriptHostileArchiveTest {

  private static final String P = "mlp_scripted/";

  @TempDir Path dir;
  private Map<String, byte[]> good;

  @BeforeEach
  void readGoodArchive() throws Exception {
    good = ZipSurgery.read(TorchScriptFixtures.get("mlp_scripted.pt").copyTo(dir));
    Files.delete(dir.resolve("mlp_scripted.pt"));
  }

  private Path archive(String name, Map<String, byte[]> entries) throws Exception {
    return ZipSurgery.write(dir.resolve(name), entries);
  }

  private Map<String, byte[]> with(String entry, byte[] data) {
    Map<String, byte[]> m = new LinkedHashMap<>(good);
    m.put(entry, data);
    return m;
  }

  private Map<String, byte[]> without(String entry) {
    Map<String, byte[]> m = new LinkedHashMap<>(good);
    assertTrue(m.remove(entry) != null, entry);
    return m;
  }

  /** Opens, factorizes every eligible layer at rank 4 and writes, expecting a refusal. */
  private ModelFileException assertRefused(Path input, String... fragments) throws Exception {
    byte[] before = sha256(input);
    Path out = dir.resolve("out.pt");
    ModelFileException e =
        assertThrows(
            ModelFileException.class,
            () -> {
              try (SourceModel m = ModelFormats.open(input)) {
                Map<String, LowRankFactors> factors = new LinkedHashMap<>();
                for (Layer l : m.layers()) {
                  factors.put(
                      l.name(),
                      LowRankFactors.truncate(
                          SvdBackends.exact().decompose(m.readWeight(l), RankTarget.leading(4)),
                          4));
                }
                m.write(out, factors, TestCompression.bytes(manifest(m)));
              }
            });
    String msg = e.getMessage();
    assertTrue(msg.startsWith(input + ": "), msg);
    assertFalse(msg.contains("\n"), msg);
    for (String f : fragments) {
      assertTrue(msg.contains(f), "'" + f + "' not in: " + msg);
    }
    assertEquals(input, e.file());
    assertArrayEquals(before, sha256(input), "the input changed");
    assertFalse(Files.exists(out), "an output was left");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          List.of(input.getFileName().toString()),
          files.map(p -> p.getFileName().toString()).sorted().toList(),
          "stray files");
    }
    return e;
  }

  static CompressionResult manifest(SourceModel m) {
    return new CompressionResult(
        "test",
        "torchscript",
        Optional.empty(),
        Optional.empty(),
        Map.of(),
        List.of(),
        m.parameterCount(),
        m.parameterCount());
  }

  private static byte[] sha256(Path p) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
  }

  /** Builds a pickle from opcodes, strings in between taken as bytes. */
  private static byte[] pickle(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object p : parts) {
      if (p instanceof String s) {
        out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
      } else {
        out.write((Integer) p);
      }
    }
    return out.toByteArray();
  }

  @Test
  void zipSlipEntry() throws Exception {
    Path a =
        archive("slip.pt", with(P + "../../evil.sh", "rm -rf ~".getBytes(StandardCharsets.UTF_8)));
    assertRefused(a, "zip entry 'mlp_scripted/../../evil.sh' escapes the archive");
  }

  @Test
  void absoluteEntry() throws Exception {
    Path a = archive("abs.pt", with("/etc/cron.d/evil", new byte[] {1}));
    assertRefused(a, "zip entry '/etc/cron.d/evil' escapes the archive");
  }

  @Test
  void osSystemGlobal() throws Exception {
    byte[] evil = pickle(0x80, 2, "cos\nsystem\n", "X", 2, 0, 0, 0, "id", 0x85, "R", ".");
    assertRefused(archive("os.pt", with(P + "data.pkl", evil)), "data.pkl", "'os.system'");
  }

  @Test
  void builtinsEvalReduce() throws Exception {
    byte[] evil = pickle(0x80, 2, "cbuiltins\neval\n", "X", 5, 0, 0, 0, "1 + 1", 0x85, "R", ".");
    assertRefused(archive("eval.pt", with(P + "data.pkl", evil)), "'builtins.eval'");
  }

  @Test
  void posixSystemThroughStackGlobal() throws Exception {
    byte[] evil =
        pickle(0x80, 4, 0x8c, 5, "posix", 0x8c, 6, "system", 0x93, 0x8c, 2, "id", 0x85, "R", ".");
    assertRefused(archive("posix.pt", with(P + "data.pkl", evil)), "'posix.system'");
  }

  @Test
  void subprocessGlobal() throws Exception {
    byte[] evil = pickle(0x80, 2, "csubprocess\nPopen\n", ")", "R", ".");
    assertRefused(archive("popen.pt", with(P + "data.pkl", evil)), "'subprocess.Popen'");
  }

  @Test
  void reduceOfAnArchiveClass() throws Exception {
    byte[] evil = pickle(0x80, 2, "c__torch__\nMlp\n", ")", "R", ".");
    assertRefused(
        archive("reduce.pt", with(P + "data.pkl", evil)),
        "calls '__torch__.Mlp', which is not an allowed function");
  }

  @Test
  void instOpcode() throws Exception {
    byte[] evil = pickle(0x80, 2, "(", "ios\nsystem\n", ".");
    assertRefused(archive("inst.pt", with(P + "data.pkl", evil)), "INST opcode");
  }

  @Test
  void truncatedFile() throws Exception {
    Path whole = archive("whole.pt", good);
    byte[] bytes = Files.readAllBytes(whole);
    Files.delete(whole);
    Path cut =
        Files.write(dir.resolve("cut.pt"), java.util.Arrays.copyOf(bytes, bytes.length * 3 / 5));
    assertRefused(cut, "truncated");
  }

  @Test
  void randomBytesNamedPt() throws Exception {
    byte[] junk = new byte[4096];
    new Random(42).nextBytes(junk);
    Path p = Files.write(dir.resolve("random.pt"), junk);
    assertRefused(p, "is not a zip archive");
  }

  @Test
  void missingDataPkl() throws Exception {
    assertRefused(archive("nodata.pt", without(P + "data.pkl")), "has no mlp_scripted/data.pkl");
  }

  @Test
  void missingStorage() throws Exception {
    assertRefused(
        archive("nostorage.pt", without(P + "data/0")),
        "refers to storage '0' but the archive has no entry mlp_scripted/data/0");
  }

  @Test
  void missingCode() throws Exception {
    Map<String, byte[]> m = new LinkedHashMap<>(good);
    m.keySet().removeIf(k -> k.startsWith(P + "code/"));
    assertRefused(archive("nocode.pt", m), "has no code/ folder", "torch.save");
  }

  @Test
  void absurdDeclaredSize() throws Exception {
    Path a = archive("absurd.pt", good);
    ZipSurgery.patchCentralSizes(a, P + "data/0", 0x7FFFFFF0, 0x7FFFFFF0);
    assertRefused(a, "entry 'mlp_scripted/data/0' declares 2147483632 bytes", "more than the file");
  }

  @Test
  void storageTooSmallForItsTensor() throws Exception {
    assertRefused(
        archive("small.pt", with(P + "data/0", new byte[100])),
        "storage entry mlp_scripted/data/0 holds 100 bytes, fewer than the 32768");
  }

  @Test
  void tensorReachingPastItsStorage() throws Exception {
    Path file = dir.resolve("stride.pt");
    PyValue root = Unpickler.read(good.get(P + "data.pkl"), file, "data.pkl", new HashMap<>());
    PyObject fc1 = (PyObject) ((PyObject) root).attribute("fc1").orElseThrow();
    PyTensor w = (PyTensor) fc1.attribute("weight").orElseThrow();
    PyTensor far = new PyTensor(w.storage(), 0, w.size(), new long[] {65, 1}, true, w.extraArgs());
    fc1.attributes().orElseThrow().items().put(new PyStr("weight"), far);
    assertRefused(
        archive("stride.pt", with(P + "data.pkl", Pickler.write(root))),
        "fc1.weight holds a tensor that needs 8319 elements of storage '0', which holds only 8192");
  }

  @Test
  void corruptStorageIsCaughtWhileCopying() throws Exception {
    Path a = archive("crc.pt", good);
    ZipSurgery.flipDataByte(a, P + "data/1");
    assertRefused(a, "entry 'mlp_scripted/data/1' is corrupt (CRC mismatch)");
  }

  @Test
  void deeplyNestedPickle() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(pickle(0x80, 2, "c__torch__\nMlp\n", ")", 0x81, "}", "X", 1, 0, 0, 0, "x"));
    for (int i = 0; i < 5000; i++) {
      out.write(']');
    }
    for (int i = 0; i < 4999; i++) {
      out.write('a');
    }
    out.writeBytes(pickle("s", "b", "."));
    assertRefused(
        archive("deep.pt", with(P + "data.pkl", out.toByteArray())),
        "data.pkl, at x nests values deeper than 200 levels");
  }

  @Test
  void objectOfAClassWithoutCode() throws Exception {
    byte[] evil = pickle(0x80, 2, "c__torch__\nNoSuchModule\n", ")", 0x81, "}", "b", ".");
    assertRefused(
        archive("nocls.pt", with(P + "data.pkl", evil)),
        "class __torch__.NoSuchModule, but the archive has no code for it");
  }

  @Test
  void moduleContainingItself() throws Exception {
    byte[] evil =
        pickle(
            0x80,
            2,
            "c__torch__\nMlp\n",
            "q",
            0,
            ")",
            0x81,
            "q",
            1,
            "}",
            "X",
            4,
            0,
            0,
            0,
            "self",
            "h",
            1,
            "s",
            "b",
            ".");
    assertRefused(
        archive("cycle.pt", with(P + "data.pkl", evil)), "holds a value that contains itself");
  }
}
