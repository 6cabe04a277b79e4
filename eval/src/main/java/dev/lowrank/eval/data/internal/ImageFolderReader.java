package dev.lowrank.eval.data.internal;

import dev.lowrank.eval.data.DataFileException;
import dev.lowrank.eval.data.DataOptions;
import dev.lowrank.eval.data.Dataset;
import dev.lowrank.eval.data.SampleShape;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Reads an image folder: one sub-folder per class, sorted by name (the first is class 0), holding
 * PNG, JPEG, BMP or GIF images, converted to a target shape.
 *
 * <p>Target shapes: {@code CxHxW} with C = 1 (grayscale) or 3 (RGB, channel-first); {@code HxW}
 * (grayscale); {@code N} with N a perfect square (grayscale, side sqrt(N), flattened). Without a
 * target, images keep their own size, in grayscale, flattened; they must then all be of one size.
 * Values are {@code pixel / 255}, grayscale is {@code 0.299 R + 0.587 G + 0.114 B}, and an image of
 * another size is resized with bilinear interpolation.
 */
public final class ImageFolderReader {

  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

  private ImageFolderReader() {}

  /** Where the pixels go: channels and side lengths, and the shape recorded for the samples. */
  private record Target(int channels, int height, int width, Optional<SampleShape> shape) {
    int size() {
      return channels * height * width;
    }
  }

  /**
   * Reads the folder.
   *
   * @param dir the folder
   * @param options the image shape
   * @return the labeled samples (unlabeled if the options say so)
   * @throws DataFileException if the folder holds no class sub-folder or no image, an image cannot
   *     be read, or the shape cannot hold an image
   */
  public static Dataset read(Path dir, DataOptions options) throws DataFileException {
    List<Path> classes = list(dir, Files::isDirectory);
    if (classes.isEmpty()) {
      throw new DataFileException(
          dir,
          "is a folder without class sub-folders; an image folder holds one sub-folder of images"
              + " per class");
    }
    Optional<Target> target =
        options.imageShape().isPresent()
            ? Optional.of(target(dir, options.imageShape().get()))
            : Optional.empty();
    CsvReader.FloatList values = new CsvReader.FloatList();
    List<Integer> labels = new ArrayList<>();
    List<String> names = new ArrayList<>();
    Target used = null;
    for (int c = 0; c < classes.size(); c++) {
      Path classDir = classes.get(c);
      names.add(classDir.getFileName().toString());
      for (Path file : list(classDir, ImageFolderReader::isImage)) {
        BufferedImage image = load(file);
        Target t =
            target.orElse(
                used != null
                    ? used
                    : new Target(1, image.getHeight(), image.getWidth(), Optional.empty()));
        if (target.isEmpty() && (image.getHeight() != t.height || image.getWidth() != t.width)) {
          throw new DataFileException(
              file,
              "is "
                  + image.getWidth()
                  + "x"
                  + image.getHeight()
                  + " pixels, the first image "
                  + t.width
                  + "x"
                  + t.height
                  + "; give the model's input shape (--input-shape) so images are resized");
        }
        used = t;
        convert(image, t, values);
        labels.add(c);
      }
    }
    if (labels.isEmpty()) {
      throw new DataFileException(
          dir, "holds no image (" + String.join(", ", EXTENSIONS) + ") in its class sub-folders");
    }
    Dataset.Builder b =
        Dataset.builder()
            .setName(dir.getFileName().toString())
            .optSource(dir)
            .optFormat("images")
            .setFeatures(values.toArray(), used.size())
            .optClassNames(names)
            .optShape(used.shape().orElse(SampleShape.of(used.height, used.width)));
    if (!options.unlabeled()) {
      b.optLabels(labels.stream().mapToInt(Integer::intValue).toArray());
    }
    return b.build();
  }

  private static Target target(Path dir, SampleShape shape) throws DataFileException {
    long[] d = shape.dims();
    if (d.length == 3 && (d[0] == 1 || d[0] == 3)) {
      return new Target((int) d[0], (int) d[1], (int) d[2], Optional.of(shape));
    }
    if (d.length == 2) {
      return new Target(1, (int) d[0], (int) d[1], Optional.of(shape));
    }
    if (d.length == 1) {
      int side = (int) Math.round(Math.sqrt(d[0]));
      if ((long) side * side == d[0]) {
        return new Target(1, side, side, Optional.of(shape));
      }
    }
    throw new DataFileException(
        dir,
        "images cannot be converted to the input shape "
            + shape
            + "; use CxHxW (C = 1 or 3), HxW, or a square number of values");
  }

  private static void convert(BufferedImage image, Target t, CsvReader.FloatList out) {
    BufferedImage src = image;
    if (image.getWidth() != t.width || image.getHeight() != t.height) {
      src = new BufferedImage(t.width, t.height, BufferedImage.TYPE_INT_ARGB);
      Graphics2D g = src.createGraphics();
      try {
        g.setRenderingHint(
            RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, t.width, t.height, null);
      } finally {
        g.dispose();
      }
    }
    int[] rgb = src.getRGB(0, 0, t.width, t.height, null, 0, t.width);
    if (t.channels == 1) {
      for (int p : rgb) {
        out.add(luminance(p));
      }
      return;
    }
    for (int shift = 16; shift >= 0; shift -= 8) {
      for (int p : rgb) {
        out.add(((p >> shift) & 0xff) / 255f);
      }
    }
  }

  private static float luminance(int argb) {
    int r = (argb >> 16) & 0xff;
    int g = (argb >> 8) & 0xff;
    int b = argb & 0xff;
    return (float) ((0.299 * r + 0.587 * g + 0.114 * b) / 255.0);
  }

  private static BufferedImage load(Path file) throws DataFileException {
    try {
      BufferedImage image = ImageIO.read(file.toFile());
      if (image == null) {
        throw new DataFileException(file, "is not an image this reader can decode");
      }
      return image;
    } catch (IOException e) {
      throw new DataFileException(file, "cannot be read as an image (" + e.getMessage() + ")", e);
    }
  }

  private static boolean isImage(Path p) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(p)
        && !name.startsWith(".")
        && EXTENSIONS.stream().anyMatch(name::endsWith);
  }

  private static List<Path> list(Path dir, Predicate<Path> filter) throws DataFileException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(filter)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new DataFileException(dir, "cannot be listed (" + e.getMessage() + ")", e);
    }
  }
}
