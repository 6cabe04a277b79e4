package dev.lowrank.format.onnx.internal;

import java.nio.file.Path;

/**
 * Where a tensor's bytes lie outside the {@code .onnx} file, checked: a regular file inside the
 * model's folder, and a byte range within it.
 *
 * @param file the data file (absolute, inside the model's folder)
 * @param location the location as the model spells it, relative to the model's folder
 * @param offset the first byte
 * @param length the number of bytes
 */
record ExternalRef(Path file, String location, long offset, long length) {}
