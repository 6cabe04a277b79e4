package dev.lowrank.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.RankPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class DigitsDemoTest {

  @Test
  void theTrainedMlpLearnsDigitsAndCompressionTradesParametersForAccuracy() throws Exception {
    List<DigitsDemo.Row> rows = DigitsDemo.run(List.of(RankPolicy.rank(32), RankPolicy.rank(4)));
    DigitsDemo.Row original = rows.get(0);
    assertEquals(50_826, original.parameters(), "64-256-128-10 with biases");
    assertTrue(original.accuracy() > 0.95, "trained: " + original.accuracy());
    assertEquals(5, rows.size(), "each setting plain, then whitened at the same weights");
    DigitsDemo.Row r32 = rows.get(1);
    DigitsDemo.Row w32 = rows.get(2);
    DigitsDemo.Row r4 = rows.get(3);
    DigitsDemo.Row w4 = rows.get(4);
    assertEquals(r32.compression().orElseThrow().parametersCompressed(), r32.parameters());
    assertTrue(r32.parameters() < original.parameters() / 2);
    assertTrue(original.accuracy() - r32.accuracy() < 0.05, "rank 32 keeps most accuracy");
    assertTrue(r4.parameters() < r32.parameters());
    assertTrue(r4.accuracy() < r32.accuracy(), "rank 4 loses more");
    assertEquals(r32.parameters(), w32.parameters(), "the same weights");
    assertEquals(r4.parameters(), w4.parameters(), "the same weights");
    assertTrue(
        w4.accuracy() > r4.accuracy(),
        "whitened " + w4.accuracy() + " beats plain " + r4.accuracy() + " at rank 4");
  }
}
