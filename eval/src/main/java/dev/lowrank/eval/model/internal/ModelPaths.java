package dev.lowrank.eval.model.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormats;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Tells a DJL model directory from a TorchScript or ONNX file and finds what DJL needs to load it.
 */
public final class ModelPaths {

  /** The format name of DJL block models. */
  public static final String DJL = "djl";

  /** The format name of TorchScript files. */
  public static final String TORCHSCRIPT = "torchscript";

  /** The format name of ONNX files. */
  public static final String ONNX = "onnx";

  private static final Pattern PARAMS = Pattern.compile("(.+)-(\\d{4})\\.params");

  private ModelPaths() {}

  /**
   * What to hand to DJL's Criteria.
   *
   * @param format {@link #DJL}, {@link #TORCHSCRIPT} or {@link #ONNX}
   * @param modelPath the directory or file
   * @param modelName the DJL model name (the params file prefix), when it is a DJL directory
   */
  public record Located(String format, Path modelPath, Optional<String> modelName) {}

  /**
   * Finds the format of a model path.
   *
   * @param path a model directory, its {@code .params} file, a TorchScript or an ONNX file
   * @return what DJL needs
   * @throws ModelFileException if the path is missing or neither kind of model
   */
  public static Located locate(Path path) throws ModelFileException {
    if (!Files.exists(path)) {
      throw new ModelFileException(path, "no such file or directory");
    }
    if (!Files.isReadable(path)) {
      throw new ModelFileException(path, "cannot be read (check its permissions)");
    }
    Path dir = Files.isDirectory(path) ? path : null;
    if (dir == null && path.getFileName().toString().endsWith(".params")) {
      dir = path.toAbsolutePath().getParent();
    }
    if (dir != null) {
      if (!Files.isRegularFile(dir.resolve("serving.properties"))) {
        throw new ModelFileException(
            path,
            "a DJL model directory needs a serving.properties naming its blockFactory (the class"
                + " that builds the model's blocks)");
      }
      return new Located(DJL, dir, paramsName(dir, path));
    }
    if (isZip(path)) {
      return new Located(TORCHSCRIPT, path, Optional.empty());
    }
    if (ModelFormats.all().stream().anyMatch(f -> f.name().equals(ONNX) && f.accepts(path))) {
      return new Located(ONNX, path, Optional.empty());
    }
    throw new ModelFileException(
        path,
        "not a model lowrank can read: expected a TorchScript file (.pt, a zip with data.pkl), an"
            + " ONNX file (.onnx) or a DJL model directory (serving.properties with a"
            + " blockFactory, and a .params file)");
  }

  private static Optional<String> paramsName(Path dir, Path path) throws ModelFileException {
    try (Stream<Path> files = Files.list(dir)) {
      Optional<String> name =
          files
              .map(p -> PARAMS.matcher(p.getFileName().toString()))
              .filter(Matcher::matches)
              .map(m -> m.group(1))
              .sorted()
              .findFirst();
      if (name.isEmpty()) {
        throw new ModelFileException(path, "holds no <name>-<epoch>.params file");
      }
      return name;
    } catch (IOException e) {
      throw new ModelFileException(path, "cannot be listed (" + e.getMessage() + ")", e);
    }
  }

  private static boolean isZip(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3;
    } catch (IOException e) {
      return false;
    }
  }
}
