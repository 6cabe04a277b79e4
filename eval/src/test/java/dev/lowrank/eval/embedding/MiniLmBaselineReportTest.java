package dev.lowrank.eval.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.datasets.testing.TextFixture;
import dev.lowrank.datasets.text.TextSets;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.testing.MiniLmModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The measured baseline of data-free compression on a real pretrained model: all-MiniLM-L6-v2's
 * TorchScript copy compressed with plain SVD at {@code --ratio 0.5} (every encoder linear layer
 * keeps at most half of its weights), measured on real labeled English text next to the original:
 * subject-to-body retrieval and spam classification on SpamAssassin's test part, and the embedding
 * cosine to the original. Writes {@code target/minilm-baseline.md}; asserts only that the pipeline
 * measures something sensible (no thresholds on the compressed model's quality, no timing).
 *
 * <p>Sizes: {@code -Dlowrank.minilm.pairs=200 -Dlowrank.minilm.train=300 -Dlowrank.minilm.test=300}
 * by default; the README's figures use 1000/1000/1000:
 *
 * <pre>
 * mvn -pl eval -am verify -Dtest=MiniLmBaselineReportTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dlowrank.minilm.pairs=1000 -Dlowrank.minilm.train=1000 -Dlowrank.minilm.test=1000
 * </pre>
 */
class MiniLmBaselineReportTest {

  private static double hamShare(int[] labels) {
    int ham = 0;
    for (int l : labels) {
      ham += l == 0 ? 1 : 0;
    }
    return (double) ham / labels.length;
  }

  @Test
  void plainSvdAtHalfTheEncoderWeights() throws Exception {
    int pairs = Integer.getInteger("lowrank.minilm.pairs", 200);
    int train = Integer.getInteger("lowrank.minilm.train", 300);
    int test = Integer.getInteger("lowrank.minilm.test", 300);
    Path original = MiniLmModels.torchScript();
    Path half = MiniLmModels.plainHalf();
    Path tokenizer = MiniLmModels.files().tokenizer();
    Path cache = TextFixture.cacheOrSkip();
    TextSets.TextPairs retrieval = TextSets.subjectRetrieval(cache, pairs);
    TextSets.LabeledTexts trainTexts =
        TextSets.spamClassification(cache, TextSets.Part.TRAIN, train);
    TextSets.LabeledTexts testTexts = TextSets.spamClassification(cache, TextSets.Part.TEST, test);
    EmbeddingReport report =
        EmbeddingTasks.builder()
            .setOriginal(original)
            .addCompressed("plain --ratio 0.5", half)
            .setPooling(Pooling.MEAN)
            .addRetrieval(
                retrieval.name(),
                dev.lowrank.data.TextData.tokenize(
                    "queries",
                    retrieval.queries(),
                    java.util.Optional.empty(),
                    tokenizer,
                    OptionalInt.empty()),
                dev.lowrank.data.TextData.tokenize(
                    "documents",
                    retrieval.documents(),
                    java.util.Optional.empty(),
                    tokenizer,
                    OptionalInt.empty()))
            .addClassification(
                "spam-assassin spam/ham",
                trainTexts.tokenize(tokenizer, OptionalInt.empty()),
                testTexts.tokenize(tokenizer, OptionalInt.empty()))
            .build()
            .run();

    CompressionResult result = Compressor.manifest(half).orElseThrow();
    long before = 0;
    long after = 0;
    for (LayerResult l : result.layers()) {
      before += l.parametersBefore();
      after += l.parametersAfter();
    }
    String header =
        String.format(
            Locale.ROOT,
            "all-MiniLM-L6-v2 (TorchScript copy), plain SVD --ratio 0.5: encoder linear weights"
                + " %,d -> %,d (%.1f%%), model %,d -> %,d parameters; mean pooling; SpamAssassin:"
                + " %d retrieval pairs (test part), head fitted on %d texts (train part), scored on"
                + " %d (test part, %.1f%% of them ham)%n%n",
            before,
            after,
            100.0 * after / before,
            result.parametersOriginal(),
            result.parametersCompressed(),
            pairs,
            train,
            test,
            100.0 * hamShare(testTexts.labels()));
    String text = header + report.toMarkdown();
    System.out.println(text);
    Files.createDirectories(Paths.get("target"));
    Files.writeString(Paths.get("target", "minilm-baseline.md"), text);

    assertEquals(2, report.models().size());
    assertEquals(36, result.factorizedLayers().size());
    assertTrue(after < 0.51 * before && after > 0.45 * before, "about half: " + after);
    String r = retrieval.name();
    assertTrue(report.value(r, "recall@10", EmbeddingTasks.ORIGINAL) > 0.3, text);
    assertTrue(
        report.value("spam-assassin spam/ham", "accuracy (head fitted on original)", "original")
            > 0.8,
        text);
    double cos =
        report.value("all measured texts", "cosine to original, mean", "plain --ratio 0.5");
    assertTrue(cos < 0.99, text);
    assertEquals(
        1.0, report.value("all measured texts", "cosine to original, mean", "original"), 1e-6);
  }
}
