package dev.lowrank.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Data sets of several named inputs: the builder, batches (wrapping around, cut to the longest
 * sequence), and matching a model's forward arguments; {@code .npz} golden files of forward
 * arguments (made by {@code make_npy_fixtures.py}).
 */
class NamedInputsTest {

  /** Three texts of 3, 1 and 4 tokens, padded to 4, with a float side input. */
  private static Dataset tokens() {
    long[] ids = {5, 6, 7, 0, 8, 0, 0, 0, 1, 2, 3, 4};
    long[] mask = {1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1};
    return Dataset.builder()
        .setName("tokens")
        .addInput("input_ids", SampleShape.of(4), ids)
        .addInput("attention_mask", SampleShape.of(4), mask)
        .addInput("token_type_ids", SampleShape.of(4), new long[12], true)
        .optSequenceLengths(new int[] {3, 1, 4})
        .optLabels(new int[] {0, 1, 0})
        .build();
  }

  @Test
  void batchesCutPaddedSequencesToTheirLongestSampleAndWrapAround() {
    Dataset d = tokens();
    assertFalse(d.hasFeatureRows());
    assertTrue(d.paddedSequences());
    assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), d.inputNames());
    List<Tensor> b = d.batch(0, 2);
    assertArrayEquals(new long[] {2, 3}, b.get(0).shape());
    assertEquals(Tensor.Type.INT64, b.get(0).type());
    assertArrayEquals(new long[] {5, 6, 7, 8, 0, 0}, b.get(0).longs());
    assertArrayEquals(new long[] {1, 1, 1, 1, 0, 0}, b.get(1).longs());
    List<Tensor> wrapped = d.batch(2, 3, SampleShape.of(99));
    assertArrayEquals(new long[] {3, 4}, wrapped.get(0).shape());
    assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6, 7, 0, 8, 0, 0, 0}, wrapped.get(0).longs());
    assertEquals(1, d.sequenceLength(1));
    assertEquals(12, d.featureCount());
  }

  @Test
  void selectKeepsLengthsAndLabels() {
    Dataset d = tokens().select(2, 1);
    assertArrayEquals(new int[] {0, 1}, d.labels().orElseThrow());
    assertEquals(4, d.sequenceLength(0));
    assertArrayEquals(new long[] {1, 2, 3, 4, 8, 0, 0, 0}, d.batch(0, 2).get(0).longs());
    assertEquals(1, tokens().first(1).size());
    assertTrue(d.describe().contains("inputs input_ids int64 4"), d.describe());
  }

  @Test
  void theFeatureRowsApiRefusesNamedInputs() {
    Dataset d = tokens();
    assertThrows(IllegalStateException.class, () -> d.features(0));
    assertThrows(IllegalStateException.class, () -> d.copyRows(0, 1, new float[12]));
    assertThrows(IllegalStateException.class, d::flatFeatures);
  }

  @Test
  void forModelInputsOrdersDropsOptionalAndRefusesTheRest() throws Exception {
    Dataset d = tokens();
    Dataset two = d.forModelInputs(List.of("attention_mask", "input_ids"));
    assertEquals(List.of("attention_mask", "input_ids"), two.inputNames());
    assertArrayEquals(new long[] {1, 1, 1}, two.batch(0, 1).get(0).longs());
    DataFileException missing =
        assertThrows(DataFileException.class, () -> d.forModelInputs(List.of("pixel_values")));
    assertTrue(missing.getMessage().startsWith("tokens: holds no input 'pixel_values'"));
    Dataset noMask =
        Dataset.builder()
            .setName("ids")
            .addInput("input_ids", SampleShape.of(2), new long[] {1, 2})
            .addInput("extra", SampleShape.of(2), new long[] {1, 2})
            .build();
    DataFileException extra =
        assertThrows(DataFileException.class, () -> noMask.forModelInputs(List.of("input_ids")));
    assertTrue(extra.getMessage().contains("input 'extra' is not an input of the model"));
    Dataset rows = Dataset.builder().setName("r").setFeatures(new float[][] {{1, 2}}).build();
    assertEquals(rows, rows.forModelInputs(List.of("x")));
  }

  @Test
  void builderRefusesInconsistentInputs() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Dataset.builder()
                .setName("n")
                .addInput("a", SampleShape.of(2), new long[] {1, 2})
                .addInput("b", SampleShape.of(2), new long[] {1, 2, 3, 4})
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Dataset.builder()
                .setName("l")
                .addInput("a", SampleShape.of(2), new long[] {1, 2})
                .optSequenceLengths(new int[] {3})
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Dataset.builder()
                .setName("both")
                .setFeatures(new float[][] {{1}})
                .addInput("a", SampleShape.of(1), new long[] {1})
                .build());
  }

  @Test
  void readsNpzOfForwardArgumentsWithInt64Values() throws Exception {
    Dataset d = Datasets.read(NpyReaderTest.golden("tokens.npz"));
    assertEquals(List.of("input_ids", "attention_mask"), d.inputNames());
    assertEquals(3, d.size());
    assertArrayEquals(new int[] {1, 0, 1}, d.labels().orElseThrow());
    List<Tensor> b = d.batch(0, 3);
    assertEquals(Tensor.Type.INT64, b.get(0).type());
    assertArrayEquals(new long[] {3, 5}, b.get(0).shape());
    assertEquals(102L, b.get(0).longs()[3]);
    Dataset narrow = Datasets.read(NpyReaderTest.golden("tokens-i4.npz"));
    assertArrayEquals(b.get(1).longs(), narrow.batch(0, 3).get(1).longs());
    Dataset mixed = Datasets.read(NpyReaderTest.golden("tokens-float.npz"));
    assertEquals(Tensor.Type.FLOAT32, mixed.inputs().get(1).type());
    assertEquals(SampleShape.of(2, 2), mixed.inputs().get(1).shape());
  }

  @Test
  void refusesBadNamedInputsWithOneLineMessages() throws Exception {
    assertProblem("tokens-nan.npz", "array 'features' sample 1 holds NaN");
    assertProblem("tokens-mismatch.npz", "array 'attention_mask' holds 2 samples but 'input_ids'");
    assertProblem("tokens-badmask.npz", "an attention mask holds 0 and 1 only");
    assertProblem("tokens-empty.npz", "array 'input_ids' holds no samples");
  }

  private static void assertProblem(String file, String problem) throws Exception {
    Path path = NpyReaderTest.golden(file);
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(path));
    assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(problem), file + ": " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
