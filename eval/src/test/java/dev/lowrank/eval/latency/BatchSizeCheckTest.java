package dev.lowrank.eval.latency;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.pooling.Pooling;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A latency batch size whose arrays cannot be held is refused before anything runs, with the
 * largest batch size that fits: inputs past a Java array's length, per-token outputs past it, and
 * inputs past the heap.
 */
class BatchSizeCheckTest {

  @Test
  void inputsLongerThanAnArrayAreRefusedWithTheLargestBatchThatFits() {
    int features = 40_000;
    Dataset rows =
        Dataset.builder().setName("wide").setFeatures(new float[2 * features], features).build();
    SampleShape shape = SampleShape.flat(features);
    BatchTooLargeException e =
        assertThrows(
            BatchTooLargeException.class,
            () ->
                LatencyBenchmark.checkBatchSizes(
                    List.of(1, 65_536), rows, shape, 10, Optional.empty()));
    assertEquals(65_536, e.batchSize());
    assertEquals(
        String.format(
            java.util.Locale.ROOT,
            "a batch of 65,536 samples: its input 'input' (40,000 values per sample) holds"
                + " 2,621,440,000 values, more than one Java array can (2,147,483,639); use batch"
                + " sizes of at most %,d",
            e.largestFitting()),
        e.getMessage());
    assertLargestFits(e, rows, shape, 10, Optional.empty());
    assertTrue(e.largestFitting() <= LatencyBenchmark.MAX_ARRAY_LENGTH / features);
    assertDoesNotThrow(
        () -> LatencyBenchmark.checkBatchSizes(List.of(1, 64), rows, shape, 10, Optional.empty()));
  }

  /** The largest fitting batch size passes the check, one more does not. */
  private static void assertLargestFits(
      BatchTooLargeException e,
      Dataset data,
      SampleShape shape,
      int width,
      Optional<Pooling> pooling) {
    int largest = e.largestFitting();
    assertTrue(largest >= 1, e.getMessage());
    assertDoesNotThrow(
        () -> LatencyBenchmark.checkBatchSizes(List.of(largest), data, shape, width, pooling));
    assertThrows(
        BatchTooLargeException.class,
        () -> LatencyBenchmark.checkBatchSizes(List.of(largest + 1), data, shape, width, pooling));
  }

  @Test
  void perTokenOutputsCountTheBatchsTokens() {
    // Two texts of 100 and 40 tokens, padded to 100; a hidden width of 384.
    long[] ids = new long[2 * 100];
    Dataset texts =
        Dataset.builder()
            .setName("texts")
            .addInput("input_ids", SampleShape.of(100), ids)
            .addInput("attention_mask", SampleShape.of(100), ids.clone())
            .optSequenceLengths(new int[] {100, 40})
            .build();
    SampleShape none = SampleShape.flat(1);
    BatchTooLargeException e =
        assertThrows(
            BatchTooLargeException.class,
            () ->
                LatencyBenchmark.checkBatchSizes(
                    List.of(65_536), texts, none, 384, Optional.of(Pooling.MEAN)));
    assertTrue(
        e.getMessage()
            .startsWith(
                "a batch of 65,536 samples: its per-token outputs (100 tokens x 384 per sample)"
                    + " hold 2,516,582,400 values"),
        e.getMessage());
    assertLargestFits(e, texts, none, 384, Optional.of(Pooling.MEAN));
    assertTrue(e.largestFitting() <= LatencyBenchmark.MAX_ARRAY_LENGTH / (100 * 384));
    // Without pooling the models return 384 values per sample: a batch of 65,536 fits.
    assertDoesNotThrow(
        () ->
            LatencyBenchmark.checkBatchSizes(List.of(65_536), texts, none, 384, Optional.empty()));
  }

  @Test
  void inputsLargerThanTheHeapAreRefused() {
    long heap = Runtime.getRuntime().maxMemory();
    // Floats of one input: more bytes than the heap, fewer values than an array holds.
    long features = heap / 4 / 1024 + 1;
    Assumptions.assumeTrue(
        1024 * features <= LatencyBenchmark.MAX_ARRAY_LENGTH,
        "the heap (" + heap + " bytes) holds more than one array of floats can");
    int f = (int) features;
    Dataset rows = Dataset.builder().setName("wide").setFeatures(new float[f], f).build();
    BatchTooLargeException e =
        assertThrows(
            BatchTooLargeException.class,
            () ->
                LatencyBenchmark.checkBatchSizes(
                    List.of(1024), rows, SampleShape.flat(f), 0, Optional.empty()));
    assertTrue(e.getMessage().contains("of heap this JVM may use (-Xmx)"), e.getMessage());
    assertTrue(e.largestFitting() < 1024 && e.largestFitting() >= 1000, e.getMessage());
    assertLargestFits(e, rows, SampleShape.flat(f), 0, Optional.empty());
  }
}
