package dev.lowrank.eval.model;

import java.nio.file.Path;

/**
 * A model file as a report describes it.
 *
 * @param path the file or directory
 * @param format {@code djl}, {@code torchscript} or {@code onnx}
 * @param sizeBytes its size on disk (for a directory, the sum of its files)
 */
public record ModelInfo(Path path, String format, long sizeBytes) {}
