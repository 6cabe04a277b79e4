/**
 * Fine-tuning of the factors after truncation: a short training of the {@code B} and {@code A} of
 * each factorized layer, everything else frozen, that recovers much of what the truncation lost. By
 * default by distillation (no labels needed): the compressed model learns to reproduce the original
 * model's outputs on the same inputs; with labels, by cross-entropy.
 *
 * <p>The entry point is {@link dev.lowrank.finetune.Finetuner}; the settings are a {@link
 * dev.lowrank.finetune.FinetuneSpec}, what was done a {@link dev.lowrank.finetune.FinetuneReport}.
 * It works on any factors (those of the plain truncated SVD or of a data-aware truncation) and
 * speaks to models only through the format SPI ({@link dev.lowrank.format.SourceModel}), so it sits
 * below the compressor's API, which runs it between truncation and writing.
 */
package dev.lowrank.finetune;
