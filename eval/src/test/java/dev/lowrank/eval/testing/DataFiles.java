package dev.lowrank.eval.testing;

import dev.lowrank.data.Dataset;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Writes data sets as the files users give lowrank eval: CSV and image folders. */
public final class DataFiles {

  private DataFiles() {}

  /**
   * Writes a CSV with a header {@code x0..x{n-1}} and the label column.
   *
   * @param file the file
   * @param data the samples
   * @param labelColumn the label column's name, appended last
   * @return the file
   * @throws IOException if writing fails
   */
  public static Path writeCsv(Path file, Dataset data, String labelColumn) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int j = 0; j < data.featureCount(); j++) {
        w.write("x" + j + ",");
      }
      w.write(labelColumn + "\n");
      for (int i = 0; i < data.size(); i++) {
        float[] x = data.features(i);
        StringBuilder sb = new StringBuilder();
        for (float v : x) {
          sb.append(Float.toString(v)).append(',');
        }
        sb.append(data.label(i)).append('\n');
        w.write(sb.toString());
      }
    }
    return file;
  }

  /**
   * Writes 8x8 digits as grayscale PNGs (pixel = round(value * 255)), one sub-folder per class
   * ({@code 0} to {@code 9}), upscaled by {@code scale} (nearest neighbour).
   *
   * @param dir the folder to create
   * @param data digits with values in [0, 1]
   * @param scale the upscaling factor
   * @return the folder
   * @throws IOException if writing fails
   */
  public static Path writeImageFolder(Path dir, Dataset data, int scale) throws IOException {
    for (int c = 0; c < data.classCount().orElse(0); c++) {
      Files.createDirectories(dir.resolve(Integer.toString(c)));
    }
    for (int i = 0; i < data.size(); i++) {
      float[] x = data.features(i);
      BufferedImage img = new BufferedImage(8 * scale, 8 * scale, BufferedImage.TYPE_BYTE_GRAY);
      for (int r = 0; r < 8 * scale; r++) {
        for (int col = 0; col < 8 * scale; col++) {
          int v = Math.round(x[(r / scale) * 8 + col / scale] * 255);
          img.getRaster().setSample(col, r, 0, v);
        }
      }
      Path file =
          dir.resolve(Integer.toString(data.label(i)))
              .resolve(String.format(Locale.ROOT, "%05d.png", i));
      ImageIO.write(img, "png", file.toFile());
    }
    return dir;
  }

  /**
   * Returns, for each sample an image folder reader yields, the index of the source sample: class
   * order, then file name (source index) order.
   *
   * @param data the samples written
   * @return source indices in reading order
   */
  public static int[] imageFolderOrder(Dataset data) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      idx.add(i);
    }
    idx.sort(Comparator.comparingInt((Integer i) -> data.label(i)).thenComparingInt(i -> i));
    return idx.stream().mapToInt(Integer::intValue).toArray();
  }
}
