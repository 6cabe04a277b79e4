/**
 * A tokenizer and parser of the TorchScript code an archive carries, and the scans that tell a
 * plain linear forward from code that reads a weight directly; not an API.
 */
package dev.lowrank.format.torchscript.internal.code;
