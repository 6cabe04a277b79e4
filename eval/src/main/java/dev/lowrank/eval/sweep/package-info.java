/**
 * Sweeps of accuracy against parameters across settings, and the search for the smallest model
 * within an accuracy drop.
 */
package dev.lowrank.eval.sweep;
