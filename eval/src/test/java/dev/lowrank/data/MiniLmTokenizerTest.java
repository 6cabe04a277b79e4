package dev.lowrank.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowrank.eval.testing.MiniLmModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text read with all-MiniLM-L6-v2's real tokenizer (from the Maven jar), offline: DJL's native
 * tokenizer library comes from the tokenizers jar, and DJL runs with {@code ai.djl.offline=true}
 * (any download would fail the test).
 */
class MiniLmTokenizerTest {

  @TempDir Path tmp;

  @Test
  void tokenizesLikeTheBertWordPieceTokenizerOffline() throws Exception {
    assertEquals("true", System.getProperty("ai.djl.offline"), "the build runs DJL offline");
    Path tokenizer = MiniLmModels.files().tokenizer();
    Path file = tmp.resolve("texts.txt");
    Files.writeString(file, "Hello world.\nLow-rank factorization!\n");
    Dataset d = Datasets.read(file, DataOptions.builder().optTokenizer(tokenizer).build());
    List<Tensor> b = d.batch(0, 2);
    long[] first = b.get(0).rows(0, 1).longs();
    assertArrayEquals(new long[] {101, 7592, 2088, 1012, 102}, java.util.Arrays.copyOf(first, 5));
    assertEquals(5, d.sequenceLength(0));
    assertEquals(0L, first[first.length - 1], "[PAD] is 0: the second text is longer");
    Dataset longText =
        TextData.tokenize(
            "long", List.of("word ".repeat(400)), Optional.empty(), tokenizer, OptionalInt.empty());
    assertEquals(128, longText.sequenceLength(0), "truncated at the tokenizer's 128 tokens");
    assertEquals(102L, longText.batch(0, 1).get(0).longs()[127], "[SEP] kept at the end");
  }
}
