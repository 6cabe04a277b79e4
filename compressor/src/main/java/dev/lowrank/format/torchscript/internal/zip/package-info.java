/**
 * A zip reader that refuses hostile archives (escaping names, absurd sizes) and a writer of stored
 * entries aligned as PyTorch expects; not an API.
 */
package dev.lowrank.format.torchscript.internal.zip;
