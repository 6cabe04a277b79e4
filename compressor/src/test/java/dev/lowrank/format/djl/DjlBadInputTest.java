package dev.lowrank.format.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.runtime.LowRankBlockFactory;
import dev.lowrank.testing.DjlFixtures;
import dev.lowrank.testing.OpenModels;
import dev.lowrank.testing.TestBlocks.Variant;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged DJL model directories: each is refused with one {@link ModelFileException} line that
 * names the file at fault, before DJL logs anything, and leaves no model open.
 */
class DjlBadInputTest {

  @TempDir Path tmp;
  private Path model;
  private long openBefore;

  /** A factory DJL can create but that cannot build the model's blocks. */
  public static final class ThrowingFactory implements BlockFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
      throw new IllegalStateException("this factory builds no blocks");
    }
  }

  /** A factory without the constructor DJL calls. */
  public static final class NoDefaultConstructorFactory implements BlockFactory {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the factory.
     *
     * @param size anything
     */
    public NoDefaultConstructorFactory(int size) {
      if (size < 0) {
        throw new IllegalArgumentException("size " + size);
      }
    }

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
      throw new UnsupportedOperationException();
    }
  }

  @BeforeEach
  void copyModel() throws Exception {
    model = DjlFixtures.copy(Variant.NESTED, tmp.resolve("nested"));
    try (SourceModel m = ModelFormats.open(model)) {
      assertEquals(6, m.layers().size(), "the copy opens");
    }
    openBefore = OpenModels.count();
  }

  private void setProperty(String key, String value) throws Exception {
    Path file = model.resolve("serving.properties");
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    p.setProperty(key, value);
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, "test");
    }
  }

  /** Opens the model, expecting a refusal; returns its message after checking stderr is empty. */
  private String refused(Path expectedFile) throws Exception {
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    ModelFileException e;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      e = assertThrows(ModelFileException.class, () -> ModelFormats.open(model).close());
    } finally {
      System.setErr(stderr);
    }
    String msg = e.getMessage();
    assertTrue(msg.startsWith(expectedFile + ": "), msg);
    assertFalse(msg.contains("\n"), msg);
    assertEquals(expectedFile, e.file());
    assertEquals("", captured.toString(StandardCharsets.UTF_8), "printed while opening");
    assertEquals(openBefore, OpenModels.count(), "models left open");
    return msg;
  }

  @Test
  void randomBytesInTheParameterFile() throws Exception {
    Path params = model.resolve("digits-0000.params");
    byte[] junk = new byte[(int) Files.size(params)];
    new Random(42).nextBytes(junk);
    Files.write(params, junk);
    String msg = refused(params);
    assertTrue(
        msg.endsWith(
            ": is not a DJL parameter file (it does not start with the DJL@"
                + " header that Model.save writes)"),
        msg);
  }

  @Test
  void aDamagedParameterFileAfterTheHeader() throws Exception {
    Path params = model.resolve("digits-0000.params");
    byte[] bytes = Files.readAllBytes(params);
    byte[] junk = new byte[bytes.length - 4];
    new Random(7).nextBytes(junk);
    System.arraycopy(junk, 0, bytes, 4, junk.length);
    Files.write(params, bytes);
    String msg = refused(model);
    assertTrue(msg.contains(": DJL cannot load the model"), msg);
  }

  @Test
  void aBlockFactoryThatIsNotOnTheClasspath() throws Exception {
    setProperty("blockFactory", "com.example.NoSuchFactory");
    String msg = refused(model.resolve("serving.properties"));
    assertTrue(
        msg.endsWith(
            ": blockFactory=com.example.NoSuchFactory names no class on the classpath (put the"
                + " jar that holds the model's block factory on the classpath)"),
        msg);
  }

  @Test
  void aBlockFactoryThatIsNoBlockFactory() throws Exception {
    setProperty("blockFactory", "java.lang.String");
    String msg = refused(model.resolve("serving.properties"));
    assertTrue(msg.contains("java.lang.String names a class that does not implement"), msg);
  }

  @Test
  void aBlockFactoryWithoutTheConstructorDjlCalls() throws Exception {
    setProperty("blockFactory", NoDefaultConstructorFactory.class.getName());
    String msg = refused(model.resolve("serving.properties"));
    assertTrue(msg.contains("has no public constructor without arguments"), msg);
  }

  @Test
  void aBlockFactoryThatFailsClosesTheModelDjlCreated() throws Exception {
    setProperty("blockFactory", ThrowingFactory.class.getName());
    String msg = refused(model);
    assertTrue(msg.contains("this factory builds no blocks"), msg);
  }

  @Test
  void aCompressedModelWhoseBaseFactoryIsMissing() throws Exception {
    setProperty("blockFactory", LowRankBlockFactory.class.getName());
    setProperty(LowRankBlockFactory.BASE_FACTORY, "com.example.Gone");
    String msg = refused(model.resolve("serving.properties"));
    assertTrue(msg.contains("lowrank.baseBlockFactory=com.example.Gone names no class"), msg);
  }
}
