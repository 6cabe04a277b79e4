/**
 * How fine-tuning runs: the original model as the teacher and the factorized model as the student,
 * both loaded through DJL's PyTorch engine (DJL block models and TorchScript files), the losses and
 * the training loop with its held-out checks.
 */
package dev.lowrank.finetune.internal;
