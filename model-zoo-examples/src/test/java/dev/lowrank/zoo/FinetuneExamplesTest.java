package dev.lowrank.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.finetune.FinetuneReport;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zoo's "+ fine-tune" rows: where they go, and that they recover what truncation lost. */
class FinetuneExamplesTest {

  @TempDir Path tmp;

  @Test
  void everyTruncationRankOfTheTableIsFollowedByItsWhitenedAndFineTuneRows() throws Exception {
    Path model = ZooRunner.model(Examples.named("torchscript-mlp-scripted"));
    List<String> settings =
        ZooTable.settingsFor(model).stream().map(ZooRunner.Setting::describe).toList();
    assertEquals(
        List.of(
            "energy 0.9",
            "whitened, energy 0.9's ranks",
            "rank 16",
            "whitened, rank 16's ranks",
            "rank 16 + fine-tune",
            "rank 8",
            "whitened, rank 8's ranks",
            "rank 8 + fine-tune",
            "max drop 0.01"),
        settings);
  }

  @Test
  void aFineTuneRowDistillsOnTheTrainingSplitAndEvaluatesOnTheTestSplit() throws Exception {
    Example example = Examples.named("torchscript-mlp-scripted");
    ZooRunner.Run truncated =
        ZooRunner.run(
            example,
            new ZooRunner.Setting.Policy(RankPolicy.rank(8)),
            tmp,
            List.of(),
            Progress.none());
    ZooRunner.Run tuned =
        ZooRunner.run(
            example,
            new ZooRunner.Setting.Finetuned(RankPolicy.rank(8)),
            tmp,
            List.of(),
            Progress.none());
    FinetuneReport f =
        Compressor.manifest(tuned.compressed().orElseThrow())
            .orElseThrow()
            .finetune()
            .orElseThrow();
    assertEquals(1437, f.trainSamples() + f.heldOutSamples(), "the whole training split");
    double before = truncated.report().orElseThrow().accuracy().orElseThrow().compressed().top1();
    double after = tuned.report().orElseThrow().accuracy().orElseThrow().compressed().top1();
    assertTrue(after > before + 0.03, "test accuracy " + before + " -> " + after);
  }

  @Test
  void theDemoShowsRank16FineTunedNextToRank16() throws Exception {
    List<DigitsDemo.Row> rows = DigitsDemo.run(List.of(RankPolicy.rank(16)));
    // original, rank 16, whitened at its ranks, rank 16 + fine-tune
    assertEquals(4, rows.size());
    DigitsDemo.Row truncated = rows.get(1);
    DigitsDemo.Row tuned = rows.get(3);
    assertEquals("rank 16 + fine-tune", tuned.setting());
    assertEquals(truncated.parameters(), tuned.parameters(), "fine-tuning keeps the ranks");
    assertTrue(
        tuned.accuracy() > truncated.accuracy() + 0.05,
        "test accuracy " + truncated.accuracy() + " -> " + tuned.accuracy());
  }
}
