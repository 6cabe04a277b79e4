package dev.lowrank.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DatasetTest {

  private static Dataset three() {
    return Dataset.builder()
        .setName("three")
        .setFeatures(new float[][] {{1, 2}, {3, 4}, {5, 6}})
        .optLabels(new int[] {0, 2, 1})
        .build();
  }

  @Test
  void copyRowsWrapsAroundForBatchesLargerThanTheSet() {
    float[] batch = new float[8];
    three().copyRows(2, 4, batch);
    assertArrayEquals(new float[] {5, 6, 1, 2, 3, 4, 5, 6}, batch, 0f);
  }

  @Test
  void firstAndWithoutLabelsKeepTheRest() {
    Dataset d = three().first(2);
    assertEquals(2, d.size());
    assertArrayEquals(new int[] {0, 2}, d.labels().orElseThrow());
    assertFalse(three().withoutLabels().labeled());
    assertEquals(3, three().labelRange().getAsInt());
    assertEquals("three (memory): 3 samples x 2 features, labeled, 3 classes", three().describe());
  }

  @Test
  void builderRefusesInconsistentParts() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Dataset.builder().setName("e").setFeatures(new float[0][]).build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Dataset.builder()
                .setName("l")
                .setFeatures(new float[][] {{1}})
                .optLabels(new int[] {1, 2})
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Dataset.builder()
                .setName("n")
                .setFeatures(new float[][] {{1}})
                .optLabels(new int[] {-1})
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () -> Dataset.builder().setName("r").setFeatures(new float[][] {{1, 2}, {3}}).build());
  }
}
