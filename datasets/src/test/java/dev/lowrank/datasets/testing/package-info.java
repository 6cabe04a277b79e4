/** Test fixtures other modules' tests share: the MiniLM TorchScript copy. */
package dev.lowrank.datasets.testing;
