package dev.lowrank.format.torchscript.internal.zip;

/**
 * One entry of a zip archive, as its central directory and local header describe it.
 *
 * @param name the entry's path inside the archive, checked not to escape it
 * @param method {@link #STORED} or {@link #DEFLATED}
 * @param crc the CRC-32 of the uncompressed bytes
 * @param compressedSize bytes of data in the file
 * @param size bytes once uncompressed
 * @param localHeaderOffset where the entry's local header starts in the file
 * @param dataOffset where the entry's data starts in the file
 */
public record ZipEntryInfo(
    String name,
    int method,
    long crc,
    long compressedSize,
    long size,
    long localHeaderOffset,
    long dataOffset) {

  /** The method of entries kept as they are (the one PyTorch uses for tensor data). */
  public static final int STORED = 0;

  /** The method of deflate-compressed entries (PyTorch uses it for code files). */
  public static final int DEFLATED = 8;

  /**
   * Returns whether the entry's bytes lie in the file as they are.
   *
   * @return {@code true} for a stored entry
   */
  public boolean stored() {
    return method == STORED;
  }
}
