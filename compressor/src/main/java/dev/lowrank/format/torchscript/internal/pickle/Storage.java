package dev.lowrank.format.torchscript.internal.pickle;

/**
 * A storage a pickle refers to by persistent id: {@code ('storage', torch.FloatStorage, key,
 * location, numel)}. Its bytes are the archive entry {@code data/<key>} (or {@code constants/<key>}
 * for {@code constants.pkl}).
 *
 * @param key the entry name within the storage folder
 * @param dtype the element type
 * @param location the device it was saved from, e.g. {@code cpu}
 * @param numel the number of elements
 */
public record Storage(String key, DType dtype, String location, long numel) {

  /**
   * Returns the storage's size in bytes.
   *
   * @return {@code numel * dtype.bytes()}
   * @throws ArithmeticException if it overflows a long
   */
  public long byteSize() {
    return Math.multiplyExact(numel, (long) dtype.bytes());
  }
}
