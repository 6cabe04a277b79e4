package dev.lowrank.finetune;

/**
 * One epoch of fine-tuning: the mean training loss of its steps and, after it, the loss and the
 * fidelity on the held-out samples.
 *
 * @param epoch the epoch, from 1
 * @param trainLoss the mean loss of the epoch's training steps
 * @param heldOutLoss the loss on the held-out samples after the epoch
 * @param heldOutFidelity the fidelity on the held-out samples after the epoch (see {@link
 *     FinetuneReport#fidelity()}), higher is better
 * @param seconds the wall time of the epoch, its held-out check included
 */
public record FinetuneEpoch(
    int epoch, double trainLoss, double heldOutLoss, double heldOutFidelity, double seconds) {}
