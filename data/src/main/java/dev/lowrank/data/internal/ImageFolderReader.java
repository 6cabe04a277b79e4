package dev.lowrank.data.internal;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
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
 * Values are in [0, 1]: a grayscale image's stored samples divided by the largest sample value (255
 * for 8 bits), a color image's sRGB components divided by 255; grayscale from color is {@code 0.299
 * R + 0.587 G + 0.114 B}, a gray image is replicated into three channels; an image of another size
 * is resized with bilinear interpolation (pixel centers aligned, borders clamped).
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
    float[][] planes = planes(image);
    int h = image.getHeight();
    int w = image.getWidth();
    float[][] channels;
    if (t.channels == 1) {
      channels = new float[][] {planes.length == 1 ? planes[0] : luminance(planes)};
    } else {
      channels = planes.length == 3 ? planes : new float[][] {planes[0], planes[0], planes[0]};
    }
    for (float[] c : channels) {
      float[] resized = h == t.height && w == t.width ? c : resize(c, h, w, t.height, t.width);
      for (float v : resized) {
        out.add(v);
      }
    }
  }

  /**
   * Returns an image's values in [0, 1]: one plane for a grayscale image (its samples as stored,
   * divided by the largest sample value, without color-space conversion), else the R, G and B
   * planes in sRGB.
   */
  private static float[][] planes(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    Raster raster = image.getRaster();
    if (image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
      int bits = raster.getSampleModel().getSampleSize(0);
      float max = (float) ((1L << bits) - 1);
      float[] gray = raster.getSamples(0, 0, w, h, 0, new float[w * h]);
      for (int i = 0; i < gray.length; i++) {
        gray[i] /= max;
      }
      return new float[][] {gray};
    }
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    float[][] planes = new float[3][w * h];
    for (int i = 0; i < rgb.length; i++) {
      planes[0][i] = ((rgb[i] >> 16) & 0xff) / 255f;
      planes[1][i] = ((rgb[i] >> 8) & 0xff) / 255f;
      planes[2][i] = (rgb[i] & 0xff) / 255f;
    }
    return planes;
  }

  private static float[] luminance(float[][] rgb) {
    float[] out = new float[rgb[0].length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (0.299 * rgb[0][i] + 0.587 * rgb[1][i] + 0.114 * rgb[2][i]);
    }
    return out;
  }

  /**
   * Resizes a plane with bilinear interpolation, pixel centers aligned (sample {@code (y + 0.5) * h
   * / th - 0.5}, clamped at the borders).
   */
  static float[] resize(float[] src, int h, int w, int th, int tw) {
    float[] out = new float[th * tw];
    for (int y = 0; y < th; y++) {
      double sy = Math.min(h - 1, Math.max(0, (y + 0.5) * h / th - 0.5));
      int y0 = (int) Math.floor(sy);
      int y1 = Math.min(h - 1, y0 + 1);
      double fy = sy - y0;
      for (int x = 0; x < tw; x++) {
        double sx = Math.min(w - 1, Math.max(0, (x + 0.5) * w / tw - 0.5));
        int x0 = (int) Math.floor(sx);
        int x1 = Math.min(w - 1, x0 + 1);
        double fx = sx - x0;
        double top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
        double bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
        out[y * tw + x] = (float) (top * (1 - fy) + bottom * fy);
      }
    }
    return out;
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
