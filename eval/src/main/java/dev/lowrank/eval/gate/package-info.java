/**
 * The CI gate: a threshold on the accuracy drop, its verdict, JUnit XML, and an assertion for
 * users' own tests.
 */
package dev.lowrank.eval.gate;
