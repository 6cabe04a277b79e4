package dev.lowrank.format;

import dev.lowrank.format.djl.DjlModelFormat;
import dev.lowrank.format.onnx.OnnxModelFormat;
import dev.lowrank.format.torchscript.TorchScriptModelFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Finds the {@link ModelFormat} of a model path; the one place that lists the formats. */
public final class ModelFormats {

  private static final DjlModelFormat DJL = new DjlModelFormat();

  /** Every format, in detection order: a new format is one more entry here. */
  private static final List<ModelFormat> FORMATS =
      List.of(DJL, new TorchScriptModelFormat(), new OnnxModelFormat());

  private ModelFormats() {}

  /**
   * Returns every supported format.
   *
   * @return the formats, in detection order
   */
  public static List<ModelFormat> all() {
    return FORMATS;
  }

  /**
   * Returns the DJL block-model format (for models handed over in memory).
   *
   * @return the DJL format
   */
  public static ModelFormat djl() {
    return DJL;
  }

  /**
   * Returns the format of a model file or directory.
   *
   * @param path the model
   * @return the format that accepts it
   * @throws ModelFileException if the path is missing, unreadable, or no format accepts it
   */
  public static ModelFormat detect(Path path) throws ModelFileException {
    if (!Files.exists(path)) {
      throw new ModelFileException(path, "no such file or directory");
    }
    if (!Files.isReadable(path)) {
      throw new ModelFileException(path, "cannot be read (check its permissions)");
    }
    for (ModelFormat format : FORMATS) {
      if (format.accepts(path)) {
        return format;
      }
    }
    throw new ModelFileException(
        path,
        "not a model lowrank can read: expected a TorchScript file (.pt, a zip with data.pkl), an"
            + " ONNX file (.onnx) or a DJL model directory (serving.properties with a"
            + " blockFactory, and a .params file)");
  }

  /**
   * Detects the format of a model and opens it.
   *
   * @param path the model
   * @return the opened model, to be closed by the caller
   * @throws ModelFileException if the path is not a usable model
   */
  public static SourceModel open(Path path) throws ModelFileException {
    return detect(path).open(path);
  }
}
