package dev.lowrank.eval.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.accuracy.TradeoffPoint;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.eval.testing.DigitsFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepTest {

  @TempDir Path tmp;

  @Test
  void ranksTraceAccuracyAgainstParameters() throws Exception {
    SweepResult s =
        Sweep.builder()
            .setModel(DigitsFixtures.mlp())
            .setData(DigitsFixtures.digitsTest())
            .setPolicies(
                List.of(
                    RankPolicy.rank(4),
                    RankPolicy.rank(8),
                    RankPolicy.rank(16),
                    RankPolicy.rank(24)))
            .optWorkDirectory(tmp.resolve("work"))
            .build()
            .run();
    assertEquals(4, s.points().size());
    assertEquals(6570, s.originalParameters());
    SweepPoint r4 = s.points().get(0);
    SweepPoint r24 = s.points().get(3);
    assertEquals("rank 4", r4.setting());
    assertEquals(4 * 128 + 64 + 4 * 96 + 32 + 4 * 42 + 10, r4.parameters());
    assertTrue(r4.parameters() < r24.parameters());
    assertTrue(
        r24.accuracy().orElseThrow().top1() > r4.accuracy().orElseThrow().top1(),
        "rank 24 keeps more of the model than rank 4");
    double original = s.originalAccuracy().orElseThrow().top1();
    assertEquals(original - r4.accuracy().orElseThrow().top1(), r4.drop().getAsDouble(), 1e-12);
    assertEquals("4/4/4", r4.ranks());
    assertEquals("24/-/-", r24.ranks(), "rank 24 pays only for the 64x64 layer");
    List<TradeoffPoint> t = s.tradeoff();
    assertEquals(5, t.size());
    assertTrue(t.get(0).original());
    assertEquals(4, Files.list(tmp.resolve("work")).count(), "the models are kept when asked");
    ReportWriters.write(s, Path.of("target", "eval-reports", "sweep.html"));
  }

  @Test
  void searchFindsTheSmallestModelWithinTheDropAndWritesIt() throws Exception {
    Path out = tmp.resolve("chosen");
    SearchResult r =
        SmallestModelSearch.builder()
            .setModel(DigitsFixtures.mlp())
            .setData(DigitsFixtures.digitsTest())
            .setMaxAccuracyDrop(0.02)
            .optOutput(out)
            .build()
            .run();
    SweepPoint chosen = r.chosen().orElseThrow();
    assertTrue(chosen.drop().getAsDouble() <= 0.02, r.summary());
    for (SweepPoint p : r.evaluated().points()) {
      if (p.drop().getAsDouble() <= 0.02) {
        assertTrue(p.parameters() >= chosen.parameters(), "the fewest-parameter passing point");
      }
    }
    assertTrue(r.evaluated().points().size() <= 2 * (4 + 3), "two binary searches plus refinement");
    assertTrue(r.strategy().startsWith("binary search over 11 energies"), r.strategy());
    assertTrue(r.strategy().contains("; binary search over"), "then over ranks: " + r.strategy());
    assertTrue(
        r.evaluated().points().stream()
            .anyMatch(p -> p.policy() instanceof dev.lowrank.compress.RankPolicy.FixedRank));
    assertTrue(r.summary().startsWith(chosen.setting() + ": "), r.summary());
    try (InferenceModel m = InferenceModel.load(out)) {
      assertEquals("djl", m.format());
    }
    ReportWriters.write(r, Path.of("target", "eval-reports", "search.html"));
  }

  @Test
  void searchOverRanksCanFindNothing() throws Exception {
    SearchResult r =
        SmallestModelSearch.builder()
            .setModel(DigitsFixtures.mlp())
            .setData(DigitsFixtures.digitsTest().first(100))
            .setMaxAccuracyDrop(0.0)
            .optCandidates(List.of(RankPolicy.rank(1), RankPolicy.rank(2)))
            .build()
            .run();
    assertFalse(r.chosen().isPresent());
    assertEquals(2, r.evaluated().points().size());
    assertTrue(
        r.summary().startsWith("no setting tried stays within a drop of 0.00 pp"), r.summary());
  }

  @Test
  void mixedCandidatesAreAllEvaluated() throws Exception {
    SearchResult r =
        SmallestModelSearch.builder()
            .setModel(DigitsFixtures.mlp())
            .setData(DigitsFixtures.digitsTest().first(100))
            .setMaxAccuracyDrop(0.5)
            .optCandidates(List.of(RankPolicy.rank(2), RankPolicy.energy(0.9)))
            .build()
            .run();
    assertEquals(2, r.evaluated().points().size());
    assertTrue(r.strategy().contains("mixed kinds"));
  }

  @Test
  void aForeignOutputDirectoryIsRefusedBeforeSearching() throws Exception {
    Path foreign = Files.createDirectories(tmp.resolve("photos"));
    Files.writeString(foreign.resolve("holiday.jpg"), "precious");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SmallestModelSearch.builder()
                    .setModel(DigitsFixtures.mlp())
                    .setData(DigitsFixtures.digitsTest())
                    .setMaxAccuracyDrop(0.1)
                    .optOutput(foreign)
                    .build()
                    .run());
    assertTrue(e.getMessage().contains("is not a lowrank output"), e.getMessage());
    assertEquals("precious", Files.readString(foreign.resolve("holiday.jpg")));
  }

  @Test
  void misuseIsRefusedBeforeAnyWork() {
    assertThrows(IllegalArgumentException.class, () -> Sweep.builder().build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SmallestModelSearch.builder()
                .setModel(Path.of("m"))
                .setData(DigitsFixtures.digitsTest())
                .setMaxAccuracyDrop(1.5)
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SmallestModelSearch.builder()
                .setModel(Path.of("m"))
                .setData(DigitsFixtures.digitsTest())
                .setMaxAccuracyDrop(0.1)
                .optOutput(Path.of("m"))
                .build());
  }
}
