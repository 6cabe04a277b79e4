package dev.lowrank.eval.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.TextData;
import dev.lowrank.datasets.testing.TextFixture;
import dev.lowrank.datasets.text.TextSets;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.testing.MiniLmModels;
import dev.lowrank.finetune.FinetuneEpoch;
import dev.lowrank.finetune.FinetuneLoss;
import dev.lowrank.finetune.FinetuneProgress;
import dev.lowrank.finetune.FinetuneReport;
import dev.lowrank.finetune.FinetuneSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's target on a real sentence encoder: all-MiniLM-L6-v2's TorchScript copy at {@code
 * --ratio 0.5} (every encoder linear layer keeps at most half of its weights), plain, whitened
 * (calibrated on SpamAssassin's calibration part), and whitened then fine-tuned by distillation (1
 * - cosine of the mean-pooled states, the default for per-token outputs) on unlabeled texts that
 * the evaluation never sees: the calibration part's e-mails and, optionally, general English
 * sentences. All are measured on the test part next to the original (subject-to-body retrieval,
 * spam accuracy of a head fitted on the original, embedding cosine to the original); writes {@code
 * target/minilm-finetune.md} with the metrics, each epoch's losses, held-out cosine, wall time, the
 * engine's live arrays and the process's resident size.
 *
 * <p>Asserts what must hold at any size: whitened beats plain on the test cosine, fine-tuning lifts
 * the held-out cosine and the test cosine above whitened alone, and the engine holds as many arrays
 * after each epoch as after the first (native memory flat over epochs). No timing assertions.
 *
 * <p>Small by default (a couple of minutes on 2 cores: 192 fine-tuning texts, 2 epochs, 48 tokens);
 * system properties select the README's sizes:
 *
 * <pre>
 * mvn -pl eval -am verify -Dtest=MiniLmFinetuneReportTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dlowrank.test.jvm="-Dai.djl.offline=true -Xmx2g -XX:+UseSerialGC" \
 *     -Dlowrank.minilm.pairs=500 -Dlowrank.minilm.train=500 -Dlowrank.minilm.test=500 \
 *     -Dlowrank.minilm.calibration=512 -Dlowrank.minilm.finetune=950 -Dlowrank.minilm.general=2050 \
 *     -Dlowrank.minilm.epochs=5 -Dlowrank.minilm.maxLength=128
 * </pre>
 *
 * ({@code lowrank.test.jvm} is the test JVM's command line, here with a 2 GB heap; surefire passes
 * the {@code lowrank.minilm.*} properties on to it.)
 */
class MiniLmFinetuneReportTest {

  private static final String PLAIN = "plain";
  private static final String WHITENED = "whitened";
  private static final String TUNED = "whitened + fine-tune";
  private static final String ALL = "all measured texts";
  private static final String COSINE = "cosine to original, mean";

  @TempDir Path tmp;

  /** What the engine and the process hold after each epoch. */
  private record Held(int arrays, long residentMb) {}

  private static long residentMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
      }
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Dataset texts(String name, List<String> texts, Path tokenizer, int maxLength)
      throws DataFileException {
    return TextData.tokenize(name, texts, Optional.empty(), tokenizer, OptionalInt.of(maxLength));
  }

  @Test
  void fineTuningLiftsWhitenedTruncationAtHalfTheEncoderWeights() throws Exception {
    int pairs = Integer.getInteger("lowrank.minilm.pairs", 50);
    int train = Integer.getInteger("lowrank.minilm.train", 100);
    int test = Integer.getInteger("lowrank.minilm.test", 100);
    int calibrationTexts = Integer.getInteger("lowrank.minilm.calibration", 64);
    int finetuneTexts = Integer.getInteger("lowrank.minilm.finetune", 192);
    int generalTexts = Integer.getInteger("lowrank.minilm.general", 0);
    int epochs = Integer.getInteger("lowrank.minilm.epochs", 2);
    int maxLength = Integer.getInteger("lowrank.minilm.maxLength", 48);
    float lr = Float.parseFloat(System.getProperty("lowrank.minilm.lr", "1e-4"));

    Path original = MiniLmModels.torchScript();
    Path plain = MiniLmModels.plainHalf();
    Path tokenizer = MiniLmModels.files().tokenizer();
    Path cache = TextFixture.cacheOrSkip();

    // What compression may see: the calibration part (and general sentences), never the test part.
    List<String> calibrationPart = TextSets.calibration(cache, Integer.MAX_VALUE);
    Dataset calibration =
        texts(
            "spam-assassin calibration",
            calibrationPart.subList(0, Math.min(calibrationTexts, calibrationPart.size())),
            tokenizer,
            maxLength);
    List<String> tuning =
        new ArrayList<>(
            calibrationPart.subList(0, Math.min(finetuneTexts, calibrationPart.size())));
    int emails = tuning.size();
    if (generalTexts > 0) {
      tuning.addAll(TextSets.generalCalibration(cache, generalTexts));
    }
    Dataset finetuneData = texts("finetune texts", tuning, tokenizer, maxLength);

    CompressionSpec.Builder whitenedSpec =
        CompressionSpec.builder()
            .setPolicy(RankPolicy.ratio(0.5))
            .optCalibration(
                Calibration.builder().setData(calibration).optSamples(calibrationTexts).build());
    Path whitened = tmp.resolve("minilm-whitened.pt");
    CompressionResult whitenedResult =
        Compressor.compress(original, whitened, whitenedSpec.build());

    List<Held> held = new ArrayList<>();
    FinetuneProgress memory =
        new FinetuneProgress() {
          @Override
          public void epochStarted(int epoch, int most, int steps) {}

          @Override
          public void stepDone(double loss) {}

          @Override
          public void epochEnded(FinetuneEpoch epoch) {
            // Every manager of the engine (models, their steps) is below its system manager.
            try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
              held.add(new Held(probe.getParentManager().getManagedArrays().size(), residentMb()));
            }
            // One line per epoch: the README's run takes a while.
            System.out.println(epoch + " " + held.get(held.size() - 1));
          }
        };
    Path tuned = tmp.resolve("minilm-whitened-ft.pt");
    CompressionResult tunedResult =
        Compressor.compress(
            original,
            tuned,
            whitenedSpec
                .optFinetune(
                    FinetuneSpec.builder()
                        .setData(finetuneData)
                        .optEpochs(epochs)
                        .optLearningRate(lr)
                        .optProgress(memory)
                        .build())
                .build());
    FinetuneReport f = tunedResult.finetune().orElseThrow();

    TextSets.TextPairs retrieval = TextSets.subjectRetrieval(cache, pairs);
    TextSets.LabeledTexts trainTexts =
        TextSets.spamClassification(cache, TextSets.Part.TRAIN, train);
    TextSets.LabeledTexts testTexts = TextSets.spamClassification(cache, TextSets.Part.TEST, test);
    OptionalInt evalLength = OptionalInt.of(maxLength);
    EmbeddingReport report =
        EmbeddingTasks.builder()
            .setOriginal(original)
            .addCompressed(PLAIN, plain)
            .addCompressed(WHITENED, whitened)
            .addCompressed(TUNED, tuned)
            .setPooling(Pooling.MEAN)
            .addRetrieval(
                retrieval.name(),
                TextData.tokenize(
                    "queries", retrieval.queries(), Optional.empty(), tokenizer, evalLength),
                TextData.tokenize(
                    "documents", retrieval.documents(), Optional.empty(), tokenizer, evalLength))
            .addClassification(
                "spam-assassin spam/ham",
                trainTexts.tokenize(tokenizer, evalLength),
                testTexts.tokenize(tokenizer, evalLength))
            .build()
            .run();

    String text = markdown(report, f, held, tunedResult, emails, tuning.size() - emails, maxLength);
    System.out.println(text);
    Files.createDirectories(Paths.get("target"));
    Files.writeString(Paths.get("target", "minilm-finetune.md"), text);

    assertEquals(36, whitenedResult.factorizedLayers().size());
    assertEquals("whitened", whitenedResult.settings().get("method"));
    assertEquals(
        whitenedResult.parametersCompressed(),
        tunedResult.parametersCompressed(),
        "fine-tuning trains the factors, at the same ranks");
    assertEquals(FinetuneLoss.COSINE, f.loss(), "per-token states distill by cosine");
    assertEquals(36, f.layers().size(), "every factorized layer is trained");
    assertTrue(f.fidelityAfter() > f.fidelityBefore(), "held-out cosine: " + f.summary());
    double cosPlain = report.value(ALL, COSINE, PLAIN);
    double cosWhitened = report.value(ALL, COSINE, WHITENED);
    double cosTuned = report.value(ALL, COSINE, TUNED);
    assertTrue(cosWhitened > cosPlain, text);
    assertTrue(cosTuned > cosWhitened, text);
    assertEquals(f.epochs().size(), held.size());
    for (Held h : held) {
      // Epoch 1 creates Adam's moments; after that every step's arrays are closed with the step.
      assertEquals(held.get(0).arrays(), h.arrays(), "engine arrays after each epoch: " + held);
    }
  }

  private static String markdown(
      EmbeddingReport report,
      FinetuneReport f,
      List<Held> held,
      CompressionResult tuned,
      int emails,
      int general,
      int maxLength) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "all-MiniLM-L6-v2 (TorchScript copy) at --ratio 0.5: model %,d -> %,d parameters;"
                + " texts cut to %d tokens; whitened calibrated on the SpamAssassin calibration"
                + " part; fine-tuned on %d texts (%d e-mails of the calibration part, %d general"
                + " English sentences; %d trained, %d held out), lr %s, batch %d; measured on the"
                + " test part; JVM heap at most %d MB%n%n",
            tuned.parametersOriginal(),
            tuned.parametersCompressed(),
            maxLength,
            emails + general,
            emails,
            general,
            f.trainSamples(),
            f.heldOutSamples(),
            Float.toString((float) f.learningRate()),
            f.batchSize(),
            Runtime.getRuntime().maxMemory() >> 20));
    sb.append(report.toMarkdown()).append('\n');
    sb.append(
        "| epoch | train loss | held-out loss | held-out cosine | seconds | engine arrays |"
            + " resident MB |\n");
    sb.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "| 0 (whitened) | | %.4f | %.4f | | | |%n",
            f.heldOutLossBefore(),
            f.fidelityBefore()));
    for (int i = 0; i < f.epochs().size(); i++) {
      FinetuneEpoch e = f.epochs().get(i);
      Held h = i < held.size() ? held.get(i) : new Held(-1, -1);
      sb.append(
          String.format(
              Locale.ROOT,
              "| %d | %.4f | %.4f | %.4f | %.1f | %d | %d |%n",
              e.epoch(),
              e.trainLoss(),
              e.heldOutLoss(),
              e.heldOutFidelity(),
              e.seconds(),
              h.arrays(),
              h.residentMb()));
    }
    sb.append('\n')
        .append(f.summary())
        .append(String.format(Locale.ROOT, "; whole fine-tuning %.1f s%n", f.seconds()));
    return sb.toString();
  }
}
