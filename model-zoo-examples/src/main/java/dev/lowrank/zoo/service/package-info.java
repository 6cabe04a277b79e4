/**
 * An example inference service that serves a compressed model from several threads, and its
 * comparison with the original.
 */
package dev.lowrank.zoo.service;
