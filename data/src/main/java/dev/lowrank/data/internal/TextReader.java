package dev.lowrank.data.internal;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.TextData;
import dev.lowrank.io.InputFileException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * Reads UTF-8 text files (one text per line, {@code label<TAB>text} in {@code .tsv} files) and
 * tokenizes texts with a Hugging Face tokenizer into padded int64 sequences.
 */
public final class TextReader {

  /** Texts encoded per call of the native tokenizer. */
  private static final int CHUNK = 512;

  private TextReader() {}

  /**
   * Reads and tokenizes a text file.
   *
   * @param file the text file
   * @param tokenizer the tokenizer file
   * @param options labels and maximum length
   * @return the tokenized texts
   * @throws DataFileException if the text or the tokenizer file cannot be used
   */
  public static Dataset read(Path file, Path tokenizer, DataOptions options)
      throws DataFileException {
    boolean labeledFormat = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv");
    List<String> texts = new ArrayList<>();
    List<String> labelTexts = new ArrayList<>();
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    int lineNumber = 0;
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(Files.newInputStream(file), utf8))) {
      String line;
      while ((line = in.readLine()) != null) {
        lineNumber++;
        if (lineNumber == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (line.isBlank()) {
          continue;
        }
        if (labeledFormat) {
          int tab = line.indexOf('\t');
          if (tab < 0) {
            throw new DataFileException(
                file,
                "line "
                    + lineNumber
                    + " has no TAB; a .tsv text file holds label<TAB>text on every line ("
                    + InputFileException.quote(line)
                    + ")");
          }
          String label = line.substring(0, tab).trim();
          String text = line.substring(tab + 1);
          if (label.isEmpty() || text.isBlank()) {
            throw new DataFileException(
                file, "line " + lineNumber + " needs a label and a text: label<TAB>text");
          }
          labelTexts.add(label);
          texts.add(text);
        } else {
          texts.add(line);
        }
      }
    } catch (CharacterCodingException e) {
      throw new DataFileException(
          file, "is not UTF-8 text (line " + (lineNumber + 1) + " holds invalid bytes)", e);
    } catch (IOException e) {
      throw new DataFileException(file, "cannot be read (" + e.getMessage() + ")", e);
    }
    if (texts.isEmpty()) {
      throw new DataFileException(file, "holds no text (one text per line, blank lines skipped)");
    }
    int[] labels = null;
    List<String> classNames = null;
    if (labeledFormat && !options.unlabeled()) {
      labels = new int[texts.size()];
      boolean numeric = labelTexts.stream().allMatch(l -> l.matches("\\d{1,9}"));
      if (numeric) {
        for (int i = 0; i < labels.length; i++) {
          labels[i] = Integer.parseInt(labelTexts.get(i));
          if (labels[i] > Labels.MAX) {
            throw new DataFileException(
                file,
                "label "
                    + labels[i]
                    + " of text "
                    + (i + 1)
                    + " is out of range: a class index"
                    + " is at most "
                    + Labels.MAX);
          }
        }
      } else {
        classNames = new ArrayList<>(new TreeSet<>(labelTexts));
        for (int i = 0; i < labels.length; i++) {
          labels[i] = classNames.indexOf(labelTexts.get(i));
        }
      }
    }
    return tokenize(
        file,
        file.getFileName().toString(),
        "text",
        texts,
        labels,
        classNames,
        tokenizer,
        options.maxLength());
  }

  /**
   * Tokenizes texts.
   *
   * @param source the path error messages about the texts name
   * @param name the data set's name
   * @param format the format name
   * @param texts the texts
   * @param labels their labels, or {@code null}
   * @param classNames the label names, or {@code null}
   * @param tokenizerFile the tokenizer file
   * @param maxLength the most tokens a text keeps, empty for the tokenizer's own limit
   * @return the data set
   * @throws DataFileException if the tokenizer file cannot be used
   */
  public static Dataset tokenize(
      Path source,
      String name,
      String format,
      List<String> texts,
      int[] labels,
      List<String> classNames,
      Path tokenizerFile,
      OptionalInt maxLength)
      throws DataFileException {
    List<long[]> ids = new ArrayList<>(texts.size());
    List<long[]> types = new ArrayList<>(texts.size());
    int[] lengths = new int[texts.size()];
    long padId = 0;
    try (HuggingFaceTokenizer tokenizer = open(tokenizerFile, maxLength)) {
      int width = 0;
      for (int from = 0; from < texts.size(); from += CHUNK) {
        List<String> chunk = texts.subList(from, Math.min(texts.size(), from + CHUNK));
        Encoding[] encodings = encode(tokenizer, tokenizerFile, chunk);
        for (int k = 0; k < encodings.length; k++) {
          Encoding e = encodings[k];
          long[] mask = e.getAttentionMask();
          int length = 0;
          while (length < mask.length && mask[length] == 1) {
            length++;
          }
          for (int j = length; j < mask.length; j++) {
            if (mask[j] != 0) {
              throw new DataFileException(
                  tokenizerFile,
                  "pads texts on the left; lowrank needs a tokenizer that pads on the right");
            }
          }
          if (length == 0) {
            throw new DataFileException(
                source, "text " + (from + k + 1) + " gives no tokens with " + tokenizerFile);
          }
          if (length < mask.length) {
            padId = e.getIds()[length];
          }
          lengths[from + k] = length;
          width = Math.max(width, length);
          ids.add(java.util.Arrays.copyOf(e.getIds(), length));
          types.add(java.util.Arrays.copyOf(e.getTypeIds(), length));
        }
      }
      int n = texts.size();
      long[] idValues = new long[Math.multiplyExact(n, width)];
      long[] maskValues = new long[idValues.length];
      long[] typeValues = new long[idValues.length];
      java.util.Arrays.fill(idValues, padId);
      for (int i = 0; i < n; i++) {
        System.arraycopy(ids.get(i), 0, idValues, i * width, lengths[i]);
        System.arraycopy(types.get(i), 0, typeValues, i * width, lengths[i]);
        java.util.Arrays.fill(maskValues, i * width, i * width + lengths[i], 1L);
      }
      SampleShape shape = SampleShape.of(width);
      Dataset.Builder b =
          Dataset.builder()
              .setName(name)
              .optSource(source)
              .optFormat(format)
              .addInput(TextData.INPUT_IDS, shape, idValues)
              .addInput(TextData.ATTENTION_MASK, shape, maskValues)
              .addInput(TextData.TOKEN_TYPE_IDS, shape, typeValues, true)
              .optSequenceLengths(lengths)
              .optLabels(labels);
      if (classNames != null) {
        b.optClassNames(classNames).optClassCount(classNames.size());
      }
      return b.build();
    }
  }

  private static HuggingFaceTokenizer open(Path file, OptionalInt maxLength)
      throws DataFileException {
    if (!Files.isRegularFile(file)) {
      throw new DataFileException(file, "no such tokenizer file");
    }
    HuggingFaceTokenizer.Builder b =
        HuggingFaceTokenizer.builder().optTokenizerPath(file).optPadding(true).optTruncation(true);
    maxLength.ifPresent(b::optMaxLength);
    try {
      return b.build();
    } catch (IOException | RuntimeException e) {
      // The native tokenizer reports a file that is not a tokenizer.json as a RuntimeException.
      throw new DataFileException(
          file, "is not a Hugging Face tokenizer.json (" + oneLine(e) + ")", e);
    }
  }

  private static Encoding[] encode(HuggingFaceTokenizer tokenizer, Path file, List<String> texts)
      throws DataFileException {
    try {
      return tokenizer.batchEncode(texts);
    } catch (RuntimeException e) {
      throw new DataFileException(file, "fails to tokenize the texts (" + oneLine(e) + ")", e);
    }
  }

  private static String oneLine(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return InputFileException.quote(msg.replaceAll("\\s+", " ").trim());
  }
}
