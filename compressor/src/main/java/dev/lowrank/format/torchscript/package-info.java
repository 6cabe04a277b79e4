/**
 * TorchScript archives (.pt files written by torch.jit.save): the format's public entry; the
 * reading, analysis and rewriting live in its internal packages.
 */
package dev.lowrank.format.torchscript;
