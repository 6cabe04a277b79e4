/**
 * How a TorchScript archive is opened, analysed (which modules are linear layers, which weights
 * others read) and rewritten with factorized layers; not an API.
 */
package dev.lowrank.format.torchscript.internal;
