/**
 * How one compression runs: planning each layer, global budgets, factorizing on a bounded pool,
 * holding factors within a memory budget; not an API.
 */
package dev.lowrank.compress.internal;
