/**
 * What a service needs to load a compressed DJL model, and nothing more: {@link
 * dev.lowrank.runtime.LowRankLinear}, {@link dev.lowrank.runtime.LowRankBlockFactory} and the
 * manifest reader {@link dev.lowrank.runtime.ManifestFile}. No BLAS, no javacpp, no ND4J.
 */
package dev.lowrank.runtime;
