package dev.lowrank.finetune.internal;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.Tensor;
import dev.lowrank.io.Fingerprint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 the manifest records for the fine-tuning data: of the file (or folder) it was read
 * from, so that {@code sha256sum} on the file gives the same digest; for data in memory, of the
 * model inputs (name, shape, little-endian values) and the labels of every sample, in order.
 */
final class DataFingerprint {

  private static final int CHUNK = 256;

  private DataFingerprint() {}

  static String of(DataSource source, Batches batches) throws DataFileException {
    Dataset data = batches.data();
    if (!data.format().equals("memory") && Files.exists(source.path())) {
      try {
        return Fingerprint.sha256(source.path());
      } catch (IOException e) {
        throw new DataFileException(source.path(), "cannot be read (" + e.getMessage() + ")", e);
      }
    }
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("The JDK lacks SHA-256", e);
    }
    int n = data.size();
    for (int start = 0; start < n; start += CHUNK) {
      int count = Math.min(CHUNK, n - start);
      int[] rows = new int[count];
      for (int k = 0; k < count; k++) {
        rows[k] = start + k;
      }
      for (Tensor t : batches.tensors(rows)) {
        digest.update(t.name().getBytes(StandardCharsets.UTF_8));
        ByteBuffer buf =
            ByteBuffer.allocate(8 * (t.dimensions() + t.size())).order(ByteOrder.LITTLE_ENDIAN);
        for (long d : t.shape()) {
          buf.putLong(d);
        }
        if (t.type() == Tensor.Type.FLOAT32) {
          for (float v : t.floats()) {
            buf.putFloat(v);
          }
        } else {
          for (long v : t.longs()) {
            buf.putLong(v);
          }
        }
        buf.flip();
        digest.update(buf);
      }
    }
    data.labels()
        .ifPresent(
            labels -> {
              ByteBuffer buf =
                  ByteBuffer.allocate(4 * labels.length).order(ByteOrder.LITTLE_ENDIAN);
              for (int label : labels) {
                buf.putInt(label);
              }
              buf.flip();
              digest.update(buf);
            });
    return HexFormat.of().formatHex(digest.digest());
  }
}
