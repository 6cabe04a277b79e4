package dev.lowrank.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw text through DJL's Hugging Face tokenizers (offline: the native library comes from the jar),
 * with a small word-level {@code tiny-tokenizer.json} ({@code [CLS]} 2, {@code [SEP]} 3, {@code
 * [UNK]} 1, pad 0, truncation at 8 tokens). The real MiniLM tokenizer is tested in the eval module.
 */
class TextReaderTest {

  @TempDir Path tmp;

  private static Path tokenizer() throws Exception {
    return NpyReaderTest.golden("tiny-tokenizer.json");
  }

  private DataOptions options() throws Exception {
    return DataOptions.builder().optTokenizer(tokenizer()).build();
  }

  @Test
  void tokenizesOneTextPerLineSkippingBlankLines() throws Exception {
    Path file = tmp.resolve("texts.txt");
    Files.writeString(file, "The cat sat.\n\n  \na dog ran on the mat on the mat\nzebra\n");
    Dataset d = Datasets.read(file, options());
    assertEquals("text", d.format());
    assertEquals(3, d.size());
    assertFalse(d.labeled());
    assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), d.inputNames());
    assertTrue(d.inputs().get(2).optional());
    assertEquals(6, d.sequenceLength(0));
    assertEquals(8, d.sequenceLength(1), "truncated to the tokenizer's max length");
    assertEquals(3, d.sequenceLength(2));
    List<Tensor> first = d.batch(0, 1);
    assertArrayEquals(new long[] {1, 6}, first.get(0).shape());
    assertArrayEquals(new long[] {2, 4, 5, 6, 12, 3}, first.get(0).longs());
    List<Tensor> pair = d.batch(0, 3);
    assertArrayEquals(new long[] {3, 8}, pair.get(0).shape());
    assertArrayEquals(new long[] {2, 1, 3, 0, 0, 0, 0, 0}, pair.get(0).rows(2, 1).longs());
    assertArrayEquals(new long[] {1, 1, 1, 0, 0, 0, 0, 0}, pair.get(1).rows(2, 1).longs());
  }

  @Test
  void maxLengthOptionTruncatesFurther() throws Exception {
    Dataset d =
        TextData.tokenize(
            "mem",
            List.of("a dog ran on the mat"),
            Optional.empty(),
            tokenizer(),
            OptionalInt.of(4));
    assertArrayEquals(new long[] {2, 9, 10, 3}, d.batch(0, 1).get(0).longs());
  }

  @Test
  void tsvFilesAreLabeledByIndexOrByName() throws Exception {
    Path named = tmp.resolve("named.tsv");
    Files.writeString(named, "spam\tthe cat\nham\ta dog\nspam\tthe mat\n");
    Dataset d = Datasets.read(named, options());
    assertArrayEquals(new int[] {1, 0, 1}, d.labels().orElseThrow());
    assertEquals(List.of("ham", "spam"), d.classNames().orElseThrow());
    Path numbered = tmp.resolve("numbered.tsv");
    Files.writeString(numbered, "2\tthe cat\n0\ta dog\n");
    assertArrayEquals(new int[] {2, 0}, Datasets.read(numbered, options()).labels().orElseThrow());
    DataOptions unlabeled = DataOptions.builder().optTokenizer(tokenizer()).optUnlabeled().build();
    assertFalse(Datasets.read(numbered, unlabeled).labeled());
  }

  @Test
  void refusesBadTextAndBadTokenizersWithOneLineMessages() throws Exception {
    Path empty = tmp.resolve("empty.txt");
    Files.writeString(empty, "\n \n");
    assertProblem(empty, options(), empty, "holds no text");
    Path latin1 = tmp.resolve("latin1.txt");
    Files.write(latin1, "caf\u00e9 ok\n".getBytes(StandardCharsets.ISO_8859_1));
    assertProblem(latin1, options(), latin1, "is not UTF-8 text (line 1");
    Path noTab = tmp.resolve("labels.tsv");
    Files.writeString(noTab, "spam\tthe cat\njust text\n");
    assertProblem(noTab, options(), noTab, "line 2 has no TAB");
    Path good = tmp.resolve("good.txt");
    Files.writeString(good, "the cat\n");
    Path notTokenizer = tmp.resolve("tokenizer.json");
    Files.writeString(notTokenizer, "{\"hello\": 1}");
    assertProblem(
        good,
        DataOptions.builder().optTokenizer(notTokenizer).build(),
        notTokenizer,
        "is not a Hugging Face tokenizer.json");
    Path garbage = tmp.resolve("garbage.json");
    Files.write(garbage, new byte[] {0x50, 0x4b, 3, 4, 0, (byte) 0xff});
    assertProblem(
        good,
        DataOptions.builder().optTokenizer(garbage).build(),
        garbage,
        "is not a Hugging Face tokenizer.json");
    Path missing = tmp.resolve("missing.json");
    assertProblem(
        good, DataOptions.builder().optTokenizer(missing).build(), missing, "no such tokenizer");
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(good));
    assertTrue(e.getMessage().contains("give the tokenizer.json"), e.getMessage());
  }

  private static void assertProblem(Path file, DataOptions options, Path named, String problem) {
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(file, options));
    assertTrue(e.getMessage().startsWith(named + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
