/**
 * The original model's baseline that every comparison reuses, and the check that a compressed model
 * was made from it; not an API.
 */
package dev.lowrank.eval.internal;
