/**
 * The SVD backends (LAPACK's exact SVD, the randomized and fixed-precision SVDs, the automatic
 * choice) and their BLAS plumbing; not an API.
 */
package dev.lowrank.linalg.internal;
