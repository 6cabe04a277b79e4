/**
 * The zoo's use of the example inference service ({@code dev.lowrank.service}): serving the
 * original and the compressed model side by side, and the golden compressed model the service's own
 * tests load with the runtime alone.
 */
package dev.lowrank.zoo.service;
