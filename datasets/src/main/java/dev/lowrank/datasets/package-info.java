/** The real data the project ships: the UCI digits (bundled) and the models trained on it. */
package dev.lowrank.datasets;
