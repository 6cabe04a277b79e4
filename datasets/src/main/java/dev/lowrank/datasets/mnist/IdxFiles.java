package dev.lowrank.datasets.mnist;

import dev.lowrank.data.Dataset;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX files of MNIST-like data sets (LeCun's format: a magic number giving the element
 * type and rank, the dimensions as big-endian ints, then the values), plain or gzipped.
 */
public final class IdxFiles {

  private static final int UNSIGNED_BYTE = 0x08;

  private IdxFiles() {}

  /**
   * Reads an image file and its label file into a labeled set, pixels scaled to [0, 1].
   *
   * @param images {@code *-images-idx3-ubyte[.gz]}: n images of rows x cols unsigned bytes
   * @param labels {@code *-labels-idx1-ubyte[.gz]}: n unsigned byte labels
   * @param limit read at most this many samples (the first ones)
   * @return the data set, 10 classes
   * @throws IOException if a file is missing, truncated or not in IDX format
   */
  public static Dataset read(Path images, Path labels, int limit) throws IOException {
    try (DataInputStream img = open(images);
        DataInputStream lab = open(labels)) {
      int[] imageDims = header(img, images, 3);
      int[] labelDims = header(lab, labels, 1);
      if (imageDims[0] != labelDims[0]) {
        throw new IOException(
            images
                + " holds "
                + imageDims[0]
                + " images but "
                + labels
                + " holds "
                + labelDims[0]
                + " labels");
      }
      int n = Math.min(limit, imageDims[0]);
      int pixels = Math.multiplyExact(imageDims[1], imageDims[2]);
      float[][] x = new float[n][pixels];
      int[] y = new int[n];
      byte[] row = new byte[pixels];
      for (int i = 0; i < n; i++) {
        img.readFully(row);
        for (int j = 0; j < pixels; j++) {
          x[i][j] = (row[j] & 0xff) / 255f;
        }
        y[i] = lab.readUnsignedByte();
        if (y[i] > 9) {
          throw new IOException(labels + ": label " + y[i] + " of sample " + i + " is not a digit");
        }
      }
      return Dataset.builder()
          .setName(images.getFileName().toString())
          .optSource(images)
          .optFormat("idx")
          .setFeatures(x)
          .optLabels(y)
          .optClassCount(10)
          .build();
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such file");
    }
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    if (file.getFileName().toString().endsWith(".gz")) {
      in = new GZIPInputStream(in, 1 << 16);
    }
    return new DataInputStream(in);
  }

  private static int[] header(DataInputStream in, Path file, int rank) throws IOException {
    int magic = in.readInt();
    if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != UNSIGNED_BYTE || (magic & 0xff) != rank) {
      throw new IOException(
          file
              + ": not an IDX file of unsigned bytes of rank "
              + rank
              + String.format(" (magic 0x%08x)", magic));
    }
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = in.readInt();
      if (dims[i] < 0) {
        throw new IOException(file + ": negative dimension " + dims[i]);
      }
    }
    return dims;
  }
}
