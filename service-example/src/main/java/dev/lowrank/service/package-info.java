/**
 * An example inference service that serves compressed models with the lowrank runtime alone (no
 * compressor, BLAS, javacpp or ND4J on its classpath), one predictor per worker thread.
 */
package dev.lowrank.service;
