package dev.lowrank.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.testing.DigitsFixtures;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.testing.OpenModels;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceModelTest {

  @TempDir Path tmp;

  @Test
  void loadsADjlModelAndKnowsItsInputShape() throws Exception {
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.mlp())) {
      assertEquals("djl", m.format());
      assertEquals(Optional.of(SampleShape.flat(64)), m.storedInputShape());
      assertEquals(64L * 64 + 64 + 32 * 64 + 32 + 10 * 32 + 10, m.djlParameterCount());
    }
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.imageShapedMlp())) {
      assertEquals(Optional.of(SampleShape.of(1, 8, 8)), m.storedInputShape());
    }
  }

  @Test
  void runsBatchesAndPredictsDigits() throws Exception {
    Dataset data = DigitsFixtures.digitsTest();
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.mlp());
        InferenceSession s = m.newSession()) {
      float[] x = new float[8 * 64];
      data.copyRows(0, 8, x);
      Outputs out = s.run(x, 8, SampleShape.flat(64));
      assertEquals(8, out.batch());
      assertEquals(10, out.width());
      int right = 0;
      for (int i = 0; i < 8; i++) {
        int best = 0;
        for (int k = 1; k < 10; k++) {
          best = out.get(i, k) > out.get(i, best) ? k : best;
        }
        right += best == data.label(i) ? 1 : 0;
      }
      assertTrue(right >= 7, "a trained MLP gets most of 8 digits right, got " + right);
    }
  }

  @Test
  void aWrongInputShapeIsAOneLineModelError() throws Exception {
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.mlp());
        InferenceSession s = m.newSession()) {
      ModelFileException e =
          assertThrows(
              ModelFileException.class, () -> s.run(new float[2 * 63], 2, SampleShape.flat(63)));
      assertTrue(
          e.getMessage().contains("fails on a batch of 2 samples of shape 63"), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void aLongLoopLeavesNoNativeArrayBehind() throws Exception {
    Dataset data = DigitsFixtures.digitsTest();
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.mlp());
        InferenceSession s = m.newSession()) {
      float[] x = new float[16 * 64];
      data.copyRows(0, 16, x);
      s.run(x, 16, SampleShape.flat(64));
      int before = m.manager().getManagedArrays().size();
      for (int i = 0; i < 2000; i++) {
        s.run(x, 16, SampleShape.flat(64));
      }
      assertEquals(
          before, m.manager().getManagedArrays().size(), "NDArrays left open after 2000 batches");
      // The counter does see arrays that are left open.
      m.manager().newSubManager().create(new float[] {1});
      assertEquals(before + 1, m.manager().getManagedArrays().size());
    }
  }

  /** A factory DJL can create but that cannot build the model's blocks. */
  public static final class ThrowingFactory implements BlockFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
      throw new IllegalStateException("this factory builds no blocks");
    }
  }

  private Path copyOfMlp(String name) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    try (Stream<Path> files = Files.list(DigitsFixtures.mlp())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    return dir;
  }

  private static void setProperty(Path dir, String key, String value) throws Exception {
    Path file = dir.resolve("serving.properties");
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    p.setProperty(key, value);
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, "test");
    }
  }

  /** The digits MLP as TorchScript, with a data.pkl that calls os.system. */
  private Path foreignPickleArchive() throws Exception {
    Path zip = tmp.resolve("foreign.pt");
    Path good = tmp.resolve("mlp_scripted.pt");
    try (InputStream in =
        Digits.class.getResourceAsStream("/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, good);
    }
    try (ZipFile src = new ZipFile(good.toFile());
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      for (ZipEntry e : Collections.list(src.entries())) {
        byte[] data = src.getInputStream(e).readAllBytes();
        if (e.getName().endsWith("/data.pkl")) {
          ByteArrayOutputStream pkl = new ByteArrayOutputStream();
          pkl.write(new byte[] {(byte) 0x80, 2});
          pkl.writeBytes("cos\nsystem\nX".getBytes(StandardCharsets.US_ASCII));
          pkl.write(new byte[] {2, 0, 0, 0});
          pkl.writeBytes("id".getBytes(StandardCharsets.US_ASCII));
          pkl.write(new byte[] {(byte) 0x85, 'R', '.'});
          data = pkl.toByteArray();
        }
        out.putNextEntry(new ZipEntry(e.getName()));
        out.write(data);
        out.closeEntry();
      }
    }
    return zip;
  }

  /** Loads, expecting a refusal that prints nothing and leaves no model open; returns it. */
  private static ModelFileException refused(Path model) {
    long open = OpenModels.count();
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    ModelFileException e;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      e = assertThrows(ModelFileException.class, () -> InferenceModel.load(model).close());
    } finally {
      System.setErr(stderr);
    }
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    // The launcher silences DJL's note on loading a single file (SimpleRepository); tests do not.
    assertEquals(
        List.of(),
        captured
            .toString(StandardCharsets.UTF_8)
            .lines()
            .filter(l -> !l.contains("WARN ai.djl.repository.SimpleRepository - "))
            .toList(),
        "printed while loading");
    assertEquals(open, OpenModels.count(), "models left open");
    return e;
  }

  @Test
  void failedLoadsLeaveNoModelOpen() throws Exception {
    Path zip = tmp.resolve("broken.pt");
    Files.write(zip, new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0});
    assertTrue(refused(zip).getMessage().startsWith(zip + ": DJL cannot load the model"));

    Path foreign = foreignPickleArchive();
    assertTrue(refused(foreign).getMessage().startsWith(foreign + ": DJL cannot load the model"));

    Path throwing = copyOfMlp("throwing");
    setProperty(throwing, "blockFactory", ThrowingFactory.class.getName());
    ModelFileException e = refused(throwing);
    assertTrue(e.getMessage().contains("this factory builds no blocks"), e.getMessage());
  }

  @Test
  void aMissingBlockFactoryIsOneLineBeforeDjlLogsAnything() throws Exception {
    Path dir = copyOfMlp("nofactory");
    setProperty(dir, "blockFactory", "com.example.NoSuchFactory");
    assertEquals(
        dir.resolve("serving.properties")
            + ": blockFactory=com.example.NoSuchFactory names no class on the classpath (put the"
            + " jar that holds the model's block factory on the classpath)",
        refused(dir).getMessage());
  }

  @Test
  void randomBytesInAParameterFileAreOneLine() throws Exception {
    Path dir = copyOfMlp("random");
    Path params;
    try (Stream<Path> files = Files.list(dir)) {
      params = files.filter(f -> f.toString().endsWith(".params")).findFirst().orElseThrow();
    }
    byte[] junk = new byte[(int) Files.size(params)];
    new Random(42).nextBytes(junk);
    Files.write(params, junk);
    assertEquals(
        params
            + ": is not a DJL parameter file (it does not start with the DJL@ header that"
            + " Model.save writes)",
        refused(dir).getMessage());
  }

  @Test
  void badPathsAreOneLineModelErrors() throws Exception {
    Path missing = tmp.resolve("nope.pt");
    ModelFileException e =
        assertThrows(ModelFileException.class, () -> InferenceModel.load(missing));
    assertEquals(missing + ": no such file or directory", e.getMessage());

    Path text = tmp.resolve("model.pt");
    Files.writeString(text, "not a model");
    e = assertThrows(ModelFileException.class, () -> InferenceModel.load(text));
    assertTrue(e.getMessage().startsWith(text + ": not a model lowrank can read"), e.getMessage());

    Path dir = Files.createDirectories(tmp.resolve("dir"));
    e = assertThrows(ModelFileException.class, () -> InferenceModel.load(dir));
    assertTrue(e.getMessage().contains("needs a serving.properties"), e.getMessage());

    Path zip = tmp.resolve("broken.pt");
    Files.write(zip, new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0});
    e = assertThrows(ModelFileException.class, () -> InferenceModel.load(zip));
    assertTrue(e.getMessage().startsWith(zip + ": DJL cannot load the model"), e.getMessage());
  }
}
