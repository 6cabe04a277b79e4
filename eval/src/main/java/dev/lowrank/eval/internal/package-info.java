/** The original model's baseline that every comparison reuses; not an API. */
package dev.lowrank.eval.internal;
