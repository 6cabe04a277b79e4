package dev.lowrank.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SampleShapeTest {

  @Test
  void parsesAndPrintsTheCliForm() {
    SampleShape s = SampleShape.parse("1x8x8");
    assertArrayEquals(new long[] {1, 8, 8}, s.dims());
    assertEquals(64, s.size());
    assertEquals("1x8x8", s.toString());
    assertEquals(SampleShape.of(8, 8), SampleShape.parse(" 8,8 "));
    assertArrayEquals(new long[] {32, 1, 8, 8}, s.withBatch(32));
  }

  @Test
  void refusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> SampleShape.parse("1x8xq"));
    assertThrows(IllegalArgumentException.class, () -> SampleShape.parse("0x8"));
    assertThrows(IllegalArgumentException.class, () -> SampleShape.of());
  }
}
