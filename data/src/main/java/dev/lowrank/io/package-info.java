/**
 * The file contract every module shares: {@link dev.lowrank.io.InputFileException}, the root of
 * bad-input errors; {@link dev.lowrank.io.OutputFiles}, outputs that appear whole or not at all and
 * never replace what must not be lost; {@link dev.lowrank.io.TemporaryFiles}, removed even on
 * interrupt; and fingerprints of inputs.
 */
package dev.lowrank.io;
