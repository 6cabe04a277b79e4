package dev.lowrank.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.testing.TextFixture;
import dev.lowrank.datasets.text.TextSets;
import dev.lowrank.eval.latency.LatencySettings;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.testing.MiniLmModels;
import dev.lowrank.format.ModelFileException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval} on text, as a user runs it: a TorchScript sentence encoder (the MiniLM copy) and its
 * plain-SVD compression, real labeled text read from a {@code .tsv} file with the model's
 * tokenizer, fidelity measured on mean-pooled sentence embeddings.
 */
class TextEvaluationTest {

  @TempDir Path tmp;

  private Path testTexts(int n) throws Exception {
    Path cache = TextFixture.cacheOrSkip();
    Path file = tmp.resolve("spam-test.tsv");
    TextSets.spamClassification(cache, TextSets.Part.TEST, n).writeTsv(file);
    return file;
  }

  private DataSource text(Path file) throws Exception {
    return DataSource.file(
        file,
        DataOptions.builder()
            .optTokenizer(MiniLmModels.files().tokenizer())
            .optMaxLength(64)
            .build());
  }

  @Test
  void fidelityOnPooledEmbeddingsOfRealText() throws Exception {
    Path original = MiniLmModels.torchScript();
    Path file = testTexts(24);
    EvalReport same =
        Evaluation.builder()
            .setOriginal(original)
            .setCompressed(original)
            .setData(text(file))
            .optPooling(Pooling.MEAN)
            .optSkipLatency()
            .optSpectra(false, 1)
            .build()
            .run();
    assertEquals(24, same.fidelity().samples());
    assertEquals(1.0, same.fidelity().meanCosine().orElseThrow(), 1e-6);
    assertEquals(0.0, same.fidelity().relativeL2Error(), 1e-6);
    assertTrue(same.accuracy().isEmpty(), "text labels are no model classes");
    assertEquals("text", same.data().format());

    EvalReport half =
        Evaluation.builder()
            .setOriginal(original)
            .setCompressed(MiniLmModels.plainHalf())
            .setData(text(file))
            .optPooling(Pooling.MEAN)
            .optLatency(
                LatencySettings.builder()
                    .optBatchSizes(List.of(1, 4))
                    .optWarmup(Duration.ZERO, 1)
                    .optIterations(2, 2)
                    .build())
            .optSpectra(false, 1)
            .build()
            .run();
    double cos = half.fidelity().meanCosine().orElseThrow();
    // Plain SVD at half of every encoder layer's weights loses much (cosine about 0.26 here).
    assertTrue(cos > 0.0 && cos < 0.99, "plain SVD at half the weights: cosine " + cos);
    assertTrue(half.fidelity().minCosine().orElseThrow() <= cos);
    assertTrue(half.fidelity().relativeL2Error() > 0.01);
    assertEquals(2, half.latency().size());
    assertTrue(half.params().compressed() < half.params().original());
  }

  @Test
  void perTokenOutputsWithoutPoolingAreABadInputWithAHint() throws Exception {
    Path original = MiniLmModels.torchScript();
    Path file = testTexts(16);
    ModelFileException e =
        assertThrows(
            ModelFileException.class,
            () ->
                Evaluation.builder()
                    .setOriginal(original)
                    .setCompressed(original)
                    .setData(text(file))
                    .optBatchSize(8)
                    .optSkipLatency()
                    .optSpectra(false, 1)
                    .build()
                    .run());
    assertTrue(e.getMessage().startsWith(original + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("--pooling mean"), e.getMessage());
  }

  @Test
  void npzOfForwardArgumentsFeedsTheModelByName() throws Exception {
    Path original = MiniLmModels.torchScript();
    Dataset tokens =
        TextSets.spamClassification(TextFixture.cacheOrSkip(), TextSets.Part.TEST, 6)
            .tokenize(MiniLmModels.files().tokenizer(), java.util.OptionalInt.of(32));
    // Arrays in another order than forward's, token_type_ids left out on purpose.
    Path npz = tmp.resolve("tokens.npz");
    List<dev.lowrank.data.Tensor> b = tokens.batch(0, 6);
    writeNpz(npz, List.of(b.get(1), b.get(0)));
    DataFileException missing =
        assertThrows(
            DataFileException.class,
            () ->
                Evaluation.builder()
                    .setOriginal(original)
                    .setCompressed(original)
                    .setData(DataSource.file(npz, DataOptions.defaults()))
                    .optPooling(Pooling.MEAN)
                    .optSkipLatency()
                    .optSpectra(false, 1)
                    .build()
                    .run());
    assertTrue(
        missing.getMessage().startsWith(npz + ": holds no input 'token_type_ids'"),
        missing.getMessage());
    assertFalse(missing.getMessage().contains("\n"));
    writeNpz(npz, List.of(b.get(2), b.get(1), b.get(0)));
    EvalReport r =
        Evaluation.builder()
            .setOriginal(original)
            .setCompressed(original)
            .setData(DataSource.file(npz, DataOptions.defaults()))
            .optPooling(Pooling.MEAN)
            .optSkipLatency()
            .optSpectra(false, 1)
            .build()
            .run();
    assertEquals(6, r.fidelity().samples());
    assertEquals(1.0, r.fidelity().meanCosine().orElseThrow(), 1e-6);
  }

  /** Writes int64 tensors as an uncompressed .npz, one .npy per tensor, named after it. */
  static void writeNpz(Path file, List<dev.lowrank.data.Tensor> tensors) throws Exception {
    try (OutputStream out = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(out)) {
      for (dev.lowrank.data.Tensor t : tensors) {
        zip.putNextEntry(new ZipEntry(t.name() + ".npy"));
        StringBuilder shape = new StringBuilder();
        for (long d : t.shape()) {
          shape.append(d).append(", ");
        }
        String header =
            "{'descr': '<i8', 'fortran_order': False, 'shape': ("
                + shape.toString().strip()
                + "), }";
        int total = 10 + header.length() + 1;
        header = header + " ".repeat((64 - total % 64) % 64) + "\n";
        zip.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        zip.write(header.length() & 0xff);
        zip.write(header.length() >> 8);
        zip.write(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        java.nio.ByteBuffer buf =
            java.nio.ByteBuffer.allocate(t.size() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long v : t.longs()) {
          buf.putLong(v);
        }
        zip.write(buf.array());
        zip.closeEntry();
      }
    }
  }
}
