package dev.lowrank.datasets;

import dev.lowrank.data.Dataset;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The UCI handwritten digits set (1797 images of 8x8 pixels, 10 classes, CC BY 4.0) as lowrank
 * ships it, with the fixed train/test split every model of the project is trained and measured on.
 *
 * <p>The copy is the one Debian's {@code python3-sklearn} carries ({@code digits.csv.gz}: 64 pixel
 * columns in 0..16, then the label); see {@code datasets/DATA-LICENSE.md} for the attribution.
 * Pixels are scaled to [0, 1] by dividing by 16. The split is by position: sample {@code i} is in
 * the test set when {@code i % 5 == 0} (360 samples), otherwise in the training set (1437 samples).
 * The Python script that trains the TorchScript fixtures uses the same rule.
 */
public final class Digits {

  /** Number of pixel features of one image (8 rows of 8). */
  public static final int FEATURES = 64;

  /** Number of classes (digits 0 to 9). */
  public static final int CLASSES = 10;

  /** Image side in pixels. */
  public static final int SIDE = 8;

  private static final String RESOURCE = "digits.csv.gz";
  private static final float MAX_PIXEL = 16f;

  private static volatile Dataset all;

  private Digits() {}

  /**
   * Returns all 1797 samples in file order.
   *
   * @return the whole data set
   */
  public static Dataset all() {
    Dataset data = all;
    if (data == null) {
      synchronized (Digits.class) {
        data = all;
        if (data == null) {
          data = read();
          all = data;
        }
      }
    }
    return data;
  }

  /**
   * Returns the 1437 training samples (those whose position is not a multiple of 5).
   *
   * @return the training split
   */
  public static Dataset train() {
    return split(false);
  }

  /**
   * Returns the 360 test samples (those whose position is a multiple of 5).
   *
   * @return the test split
   */
  public static Dataset test() {
    return split(true);
  }

  private static Dataset split(boolean test) {
    Dataset data = all();
    List<Integer> rows = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      if ((i % 5 == 0) == test) {
        rows.add(i);
      }
    }
    return data.select(rows.stream().mapToInt(Integer::intValue).toArray());
  }

  private static Dataset read() {
    try (InputStream raw = Digits.class.getResourceAsStream(RESOURCE)) {
      if (raw == null) {
        throw new IllegalStateException(
            "The digits data set is missing from the lowrank-datasets jar; rebuild the project.");
      }
      List<float[]> features = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.US_ASCII))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.isBlank()) {
            continue;
          }
          String[] cells = line.split(",");
          if (cells.length != FEATURES + 1) {
            throw new IllegalStateException(
                "digits.csv.gz line " + (labels.size() + 1) + " has " + cells.length + " cells");
          }
          float[] x = new float[FEATURES];
          for (int j = 0; j < FEATURES; j++) {
            x[j] = Float.parseFloat(cells[j]) / MAX_PIXEL;
          }
          features.add(x);
          labels.add((int) Float.parseFloat(cells[FEATURES]));
        }
      }
      return Dataset.builder()
          .setName("digits")
          .optFormat("bundled")
          .setFeatures(features.toArray(new float[0][]))
          .optLabels(labels.stream().mapToInt(Integer::intValue).toArray())
          .optClassCount(CLASSES)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the bundled digits data set", e);
    }
  }
}
