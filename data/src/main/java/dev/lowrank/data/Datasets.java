package dev.lowrank.data;

import dev.lowrank.data.internal.CsvReader;
import dev.lowrank.data.internal.ImageFolderReader;
import dev.lowrank.data.internal.NpyReader;
import dev.lowrank.data.internal.TextReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads evaluation data from files; the one place that knows the formats.
 *
 * <ul>
 *   <li>{@code .csv} (or {@code .csv.gz}): a header row, numeric feature columns, and the label
 *       column {@link DataOptions#labelColumn()} holding class indices from 0.
 *   <li>{@code .npy}: one array of shape {@code (N, ...)}, features only; little-endian float32,
 *       float64, int32, int64 or uint8, C order.
 *   <li>{@code .npz}: a zip of {@code .npy} arrays, {@code x} of shape {@code (N, ...)} and,
 *       optionally, {@code y} of shape {@code (N)} with class indices (integer or integral float).
 *       Without {@code x}, every array but {@code y} is a model input named after the model's
 *       forward argument it feeds ({@code numpy.savez(f, input_ids=ids, attention_mask=mask)}):
 *       integer arrays become int64 inputs, float arrays float32 ones, all with {@code N} samples
 *       on axis 0.
 *   <li>Text, when {@link DataOptions#tokenizer()} names a Hugging Face {@code tokenizer.json}: a
 *       UTF-8 file, one text per line ({@code label<TAB>text} for {@code .tsv}), tokenized as
 *       {@link TextData} describes.
 *   <li>A directory: an image folder, one sub-folder per class (sorted by name: the first is class
 *       0), holding PNG, JPEG, BMP or GIF images; see {@link DataOptions.Builder#optImageShape}.
 *       Pixels become values in [0, 1] (a gray image's stored samples / 255, a color image's sRGB
 *       components / 255); grayscale from color is the luminance {@code 0.299 R + 0.587 G + 0.114
 *       B}; images of another size are resized bilinearly; samples are in class order, then file
 *       name order.
 * </ul>
 */
public final class Datasets {

  private Datasets() {}

  /**
   * Reads a data file or image folder.
   *
   * @param path the file or folder
   * @param options how to read it
   * @return the samples
   * @throws DataFileException if the path is missing, unreadable, of an unknown kind, malformed,
   *     empty, or lacks the label column asked for
   */
  public static Dataset read(Path path, DataOptions options) throws DataFileException {
    if (!Files.exists(path)) {
      throw new DataFileException(path, "no such file or directory");
    }
    if (!Files.isReadable(path)) {
      throw new DataFileException(path, "cannot be read (check its permissions)");
    }
    if (options.tokenizer().isPresent()) {
      if (Files.isDirectory(path)) {
        throw new DataFileException(
            path, "is a directory; text data is a file with one text per line");
      }
      return TextReader.read(path, options.tokenizer().get(), options);
    }
    if (Files.isDirectory(path)) {
      return ImageFolderReader.read(path, options);
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
      return CsvReader.read(path, options);
    }
    if (name.endsWith(".npy")) {
      return NpyReader.readNpy(path);
    }
    if (name.endsWith(".npz")) {
      return NpyReader.readNpz(path, options);
    }
    if (name.endsWith(".txt") || name.endsWith(".tsv")) {
      throw new DataFileException(
          path,
          "unknown data format without a tokenizer; for text (one text per line), give the"
              + " tokenizer.json that turns it into tokens (--tokenizer)");
    }
    throw new DataFileException(
        path,
        "unknown data format; use a .csv (or .csv.gz) file with a header, a NumPy .npy/.npz file,"
            + " a folder of images with one sub-folder per class, or a text file with a"
            + " tokenizer");
  }

  /**
   * Reads a data file with the default options.
   *
   * @param path the file or folder
   * @return the samples
   * @throws DataFileException if the data cannot be used
   */
  public static Dataset read(Path path) throws DataFileException {
    return read(path, DataOptions.defaults());
  }
}
