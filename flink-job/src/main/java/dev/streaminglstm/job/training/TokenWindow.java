package dev.streaminglstm.job.training;

/**
 * One stream's ready window, waiting in the operator's batch.
 *
 * @param streamId the stream (the key of its state)
 * @param tokens {@code T + 1} tokens
 * @param carried the stream's carried state, or null for a fresh stream
 * @param features conditioning vector, or null
 */
record TokenWindow(String streamId, int[] tokens, float[] carried, float[] features) {}
