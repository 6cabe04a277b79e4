/**
 * A restricted pickle reader and writer for an archive's data.pkl: only the globals TorchScript
 * uses are rebuilt, anything else is refused; not an API.
 */
package dev.lowrank.format.torchscript.internal.pickle;
