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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

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

  // ---- archive versions
  // --------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"0", "1", "2", "11", "999999"})
  void unknownArchiveVersionsAreRefused(String version) throws Exception {
    Path a =
        archive(
            "v" + version + ".pt",
            with(P + "version", (version + "\n").getBytes(StandardCharsets.US_ASCII)));
    assertRefused(
        a,
        "has archive format version " + version + " in mlp_scripted/version",
        "lowrank reads format versions 3 to 10, which PyTorch 1.13 to 2.x write");
  }

  @Test
  void aPyTorch2VersionRecordIsCheckedToo() throws Exception {
    Map<String, byte[]> m =
        with(P + ".data/version", "999999\n".getBytes(StandardCharsets.US_ASCII));
    assertRefused(archive("v2.pt", m), "has archive format version 999999 in mlp_scripted/.data/");
  }

  @ParameterizedTest
  @ValueSource(strings = {"3", "4", "10"})
  void versionsPyTorchWritesAreRead(String version) throws Exception {
    Path a =
        archive(
            "v" + version + ".pt",
            with(P + "version", (version + "\n").getBytes(StandardCharsets.US_ASCII)));
    try (SourceModel m = ModelFormats.open(a)) {
      assertEquals(3, m.layers().size());
    }
  }

  // ---- code
  // ----------------------------------------------------------------------------------------

  private static final String COPIED =
      P + "code/__torch__/torch/nn/modules/linear/___torch_mangle_1.py";
  private static final String ROOT_CODE = P + "code/__torch__.py";

  private Map<String, byte[]> editCode(String entry, String from, String to) {
    String code = new String(good.get(entry), StandardCharsets.UTF_8);
    assertTrue(code.contains(from), from);
    return with(entry, code.replace(from, to).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Syntax PyTorch's importer refuses (each checked with torch.jit.load by
   * TorchScriptSyntaxJudgeTest).
   */
  static Stream<Arguments> corruptCode() {
    String ret = "return torch.linear(input, weight, bias)";
    String relu = "x0 = torch.relu((fc1).forward(x, ))";
    return Stream.of(
        Arguments.of(
            COPIED,
            ret,
            "return return = = torch.linear(input, weight, bias) if",
            "unexpected 'return' on line 14"),
        Arguments.of(
            ROOT_CODE,
            relu,
            "x0 x0 = = torch.relu((fc1).forward(x, ))",
            "unexpected 'x0' on line 12"),
        Arguments.of(
            COPIED, ret, "return torch.linear(input, weight bias)", "unexpected 'bias' on line 14"),
        Arguments.of(
            COPIED,
            ret,
            "return torch.linear(input, weight, bias))",
            "an unbalanced ')' on line 14"),
        Arguments.of(
            COPIED, ret, "return torch.linear(input, weight, bias]", "unexpected ']' on line 14"),
        Arguments.of(
            COPIED,
            ret,
            "return torch.linear(input, wéight, bias)",
            "a name TorchScript cannot read (not ASCII): 'wéight' on line 14"),
        Arguments.of(COPIED, ret, "else:\n      " + ret, "'else' that follows no 'if' on line 14"),
        Arguments.of(
            COPIED,
            ret,
            "if bias:\n    " + ret,
            "an indented block expected after this line on line 14"),
        Arguments.of(COPIED, ret, "  " + ret, "unexpected indentation on line 14"),
        Arguments.of(
            COPIED,
            ret,
            ret + "\nimport os\nos.system(\"id\")",
            "a top-level statement other than class, def or import ('os'), which PyTorch does not import on line 16"),
        Arguments.of(
            COPIED,
            ret,
            "return torch.linear(input, weight, bias); pass",
            "unexpected ';' on line 14"),
        Arguments.of(
            COPIED,
            ret,
            "return lambda: torch.linear(input, weight, bias)",
            "unexpected 'lambda' on line 14"),
        Arguments.of(
            COPIED,
            ret,
            "return torch.linear(input, weight=weight, bias)",
            "a positional argument after a keyword argument on line 14"),
        Arguments.of(
            COPIED,
            ret,
            "torch.linear(input) = 1",
            "an assignment to something that is not a name, attribute or subscript on line 14"),
        Arguments.of(
            COPIED,
            ret,
            "return torch.linear(input, weight, 1x)",
            "a malformed number '1x' on line 14"),
        Arguments.of(
            COPIED,
            ret,
            "return torch.linear(input, weight, r\"bias\")",
            "a string prefix, which TorchScript does not read: 'r\"bias\"' on line 14"));
  }

  @ParameterizedTest
  @MethodSource("corruptCode")
  void corruptCodeIsRefusedBeforeAnythingIsWritten(
      String entry, String from, String to, String problem) throws Exception {
    ModelFileException e = assertRefused(archive("code.pt", editCode(entry, from, to)), problem);
    assertTrue(
        e.getMessage().contains(": has corrupt code in " + entry + ", which is not TorchScript"),
        e.getMessage());
  }

  @Test
  void unknownOperatorsAreNotResolved() throws Exception {
    // Names are not looked up: a call of an operator PyTorch does not have is well-formed code, so
    // the archive is read and the class that holds it is copied as it is (PyTorch then refuses the
    // output where it refuses the input). That layer's forward is no longer the plain linear op.
    Path a =
        archive("flinear.pt", editCode(COPIED, "torch.linear(input", "torch._is_flinear(input"));
    try (SourceModel m = ModelFormats.open(a)) {
      Layer fc3 = m.layers().get(2);
      assertEquals("fc3", fc3.name());
      assertEquals(Optional.of("forward of Linear is not the plain linear op"), fc3.ineligible());
    }
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
