/**
 * Linear algebra for the compressor: the float matrix that formats and backends exchange, the
 * truncated SVD interface and its factory ({@link dev.lowrank.linalg.SvdBackends}), and the factors
 * B A that replace a weight.
 */
package dev.lowrank.linalg;
