package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.TextData;
import dev.lowrank.datasets.Cache;
import dev.lowrank.datasets.minilm.MiniLm;
import dev.lowrank.datasets.testing.TextFixture;
import dev.lowrank.datasets.text.TextSets;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code --tokenizer}, {@code --max-length} and {@code --pooling} on every command that reads data:
 * parsed into the data sources of {@code --data}, {@code --calibration} and {@code --finetune}
 * (read back with the real all-MiniLM-L6-v2 tokenizer on real texts), and misuse refused before any
 * work with one line naming the option or the file.
 */
class TextOptionsTest {

  private static final List<String> TOKEN_INPUTS =
      List.of(TextData.INPUT_IDS, TextData.ATTENTION_MASK, TextData.TOKEN_TYPE_IDS);

  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path tokenizer;
  static Path texts;
  static Path labeled;
  static Path mlp;

  @BeforeAll
  static void files() throws Exception {
    Path cache = TextFixture.cacheOrSkip();
    tokenizer = MiniLm.files(Cache.root()).tokenizer();
    texts = shared.resolve("calibration.txt");
    List<String> lines = new ArrayList<>();
    for (String t : TextSets.calibration(cache, 6)) {
      lines.add(t.replace('\n', ' ').replace('\r', ' '));
    }
    Files.write(texts, lines);
    labeled = shared.resolve("train.tsv");
    TextSets.spamClassification(cache, TextSets.Part.TRAIN, 6).writeTsv(labeled);
    mlp = shared.resolve("mlp_scripted.pt");
    try (InputStream in =
        TextOptionsTest.class.getResourceAsStream(
            "/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, mlp);
    }
  }

  private static <T> T parse(T command, String... args) {
    CommandLine cli = new CommandLine(command);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.parseArgs(args);
    return command;
  }

  private static void assertTokens(Dataset d, int samples, int maxLength) {
    assertEquals(TOKEN_INPUTS, d.inputNames());
    assertEquals("text", d.format());
    assertEquals(samples, d.size());
    for (int i = 0; i < d.size(); i++) {
      assertTrue(d.sequenceLength(i) <= maxLength, "--max-length caps sample " + i);
    }
    assertEquals(maxLength, d.inputs().get(0).shape().dim(0), "the long texts reach the cap");
  }

  @Test
  void compressReadsEveryDataOptionAsTextWithTheTokenizer() throws Exception {
    CompressCommand cmd =
        parse(
            new CompressCommand(),
            "--model",
            "m.pt",
            "--out",
            "o.pt",
            "--rank",
            "8",
            "--calibration",
            texts.toString(),
            "--finetune",
            labeled.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--max-length",
            "16");
    CompressionSpec spec =
        cmd.finetune.addTo(
            cmd.calibration.apply(
                cmd.compression.spec(RankPolicy.rank(8)), Optional.empty(), cmd.text),
            Optional.empty(),
            cmd.text);
    Dataset calibration =
        spec.calibration().orElseThrow().data().orElseThrow().load(Optional.empty());
    assertTokens(calibration, 6, 16);
    assertFalse(calibration.labeled(), "calibration ignores labels");
    Dataset train = spec.finetune().orElseThrow().data().load(Optional.empty());
    assertTokens(train, 6, 16);
    assertTrue(train.labeled(), "a .tsv is labeled");
    assertEquals(Optional.of(TextSets.SPAM_CLASSES), train.classNames());

    CompressCommand search =
        parse(
            new CompressCommand(),
            "--model",
            "m.pt",
            "--out",
            "o.pt",
            "--min-fidelity",
            "0.9",
            "--data",
            labeled.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--max-length",
            "12",
            "--pooling",
            "cls");
    assertTokens(search.data.source(search.text).load(Optional.empty()), 6, 12);
    assertEquals(
        Optional.of(dev.lowrank.eval.pooling.Pooling.CLS), search.pooling.pooling(), "--pooling");
  }

  @Test
  void sweepAndInspectReadTheirDataAsText() throws Exception {
    SweepCommand sweep =
        parse(
            new SweepCommand(),
            "--model",
            "m.pt",
            "--ranks",
            "4",
            "--data",
            labeled.toString(),
            "--calibration",
            texts.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--max-length",
            "20",
            "--pooling",
            "mean");
    assertTokens(sweep.data.source(sweep.text).load(Optional.empty()), 6, 20);
    assertTokens(
        sweep
            .calibration
            .calibration(Optional.empty(), sweep.text)
            .orElseThrow()
            .data()
            .orElseThrow()
            .load(Optional.empty()),
        6,
        20);
    assertEquals(Optional.of(dev.lowrank.eval.pooling.Pooling.MEAN), sweep.pooling.pooling());
    InspectCommand inspect =
        parse(
            new InspectCommand(),
            "--model",
            "m.pt",
            "--calibration",
            texts.toString(),
            "--tokenizer",
            tokenizer.toString());
    Dataset d =
        inspect
            .calibration
            .calibration(Optional.empty(), inspect.text)
            .orElseThrow()
            .data()
            .orElseThrow()
            .load(Optional.empty());
    assertEquals(TOKEN_INPUTS, d.inputNames());
    assertEquals(MiniLm.MAX_LENGTH, d.inputs().get(0).shape().dim(0), "the tokenizer's own cap");
  }

  @Test
  void misuseExitsTwoWithOneLineBeforeAnyWork() {
    Path out = tmp.resolve("never.pt");
    String addTokenizer =
        " names a text file (one text per line); add --tokenizer TOKENIZER.json, the model's"
            + " Hugging Face tokenizer, to read it";
    String compress = "compress --model <m> --out <o> --rank 8 ";
    // Each case: the line's start after "lowrank <command>: ", and the arguments, in which <m>,
    // <o>, <tok>, <txt> and <tsv> stand for the model, the output, the tokenizer and the texts.
    String[][] cases = {
      {"<txt>: --calibration" + addTokenizer, compress + "--calibration <txt>"},
      {"<tsv>: --finetune" + addTokenizer, compress + "--finetune <tsv>"},
      {
        "<tsv>: --data" + addTokenizer,
        "compress --model <m> --out <o> --min-fidelity 0.9 --data <tsv>"
      },
      {"<tsv>: --data" + addTokenizer, "sweep --model <m> --ranks 4 --data <tsv>"},
      {
        "<txt>: --calibration" + addTokenizer,
        "sweep --model <m> --ranks 4 --data digits --calibration <txt>"
      },
      {"<txt>: --calibration" + addTokenizer, "inspect --model <m> --calibration <txt>"},
      {"<tsv>: --data" + addTokenizer, "eval --model <m> --compressed <m> --data <tsv>"},
      {
        "--tokenizer reads text data: give the text file with --data, --calibration or --finetune",
        compress + "--tokenizer <tok>"
      },
      {
        "--tokenizer reads text data: give the text file with --calibration",
        "inspect --model <m> --tokenizer <tok>"
      },
      {
        "--max-length applies to text: give --tokenizer too",
        "sweep --model <m> --ranks 4 --data digits --max-length 32"
      },
      {
        "--max-length: The maximum sequence length must be at least 2, got 1",
        compress + "--calibration <txt> --tokenizer <tok> --max-length 1"
      },
      {
        "--calibration names the bundled digits set, which is not text; drop --tokenizer or give a"
            + " text file",
        compress + "--calibration digits --tokenizer <tok>"
      },
      {
        "--pooling is only used with --max-accuracy-drop or --min-fidelity",
        compress + "--pooling mean"
      },
      {
        "--pooling: 'max' is not a pooling; use mean or cls",
        "sweep --model <m> --ranks 4 --data digits --pooling max"
      },
      {
        "--label-column names a CSV column; text labels come first on each line of a .tsv",
        "eval --model <m> --compressed <m> --data <tsv> --tokenizer <tok> --label-column y"
      },
      {"--report <tok>", compress + "--calibration <txt> --tokenizer <tok> --report <tok>"},
    };
    for (String[] c : cases) {
      String[] args = c[1].split(" ");
      for (int i = 0; i < args.length; i++) {
        args[i] = substitute(args[i], out);
      }
      String expected = substitute(c[0], out);
      CliRun run = CliRun.of(args);
      String what = String.join(" ", args);
      assertEquals(2, run.exitCode(), what + ": " + run.err());
      assertEquals(1, run.err().strip().lines().count(), run.err());
      assertTrue(
          run.err().startsWith("lowrank " + args[0] + ": " + expected),
          what + "\n  expected: " + expected + "\n  got: " + run.err());
      assertEquals("", run.out(), "refused before any work: " + what);
      assertFalse(Files.exists(out), "nothing written: " + what);
    }
  }

  /**
   * Puts the files in for the placeholders: an argument {@code <m>} or {@code <o>}, and {@code
   * <tok>}, {@code <txt>}, {@code <tsv>} anywhere.
   */
  private static String substitute(String s, Path out) {
    if (s.equals("<m>")) {
      return mlp.toString();
    }
    if (s.equals("<o>")) {
      return out.toString();
    }
    return s.replace("<tok>", tokenizer.toString())
        .replace("<txt>", texts.toString())
        .replace("<tsv>", labeled.toString());
  }

  @Test
  void aFileThatIsNoTokenizerExitsTwoWithOneLineAndWritesNothing() throws Exception {
    Path bad = tmp.resolve("tokenizer.json");
    Files.writeString(bad, "{\"not\": \"a tokenizer\"}\n");
    Path out = tmp.resolve("never.pt");
    Path report = tmp.resolve("never.json");
    String[][] cases = {
      {
        "compress",
        "--model",
        mlp.toString(),
        "--out",
        out.toString(),
        "--rank",
        "8",
        "--calibration",
        texts.toString(),
        "--tokenizer",
        bad.toString(),
        "--report",
        report.toString()
      },
      {
        "sweep",
        "--model",
        mlp.toString(),
        "--ranks",
        "4",
        "--data",
        labeled.toString(),
        "--tokenizer",
        bad.toString(),
        "--report",
        report.toString()
      },
      {
        "inspect",
        "--model",
        mlp.toString(),
        "--calibration",
        texts.toString(),
        "--tokenizer",
        bad.toString()
      },
    };
    for (String[] args : cases) {
      CliRun run = CliRun.of(args);
      String what = String.join(" ", args);
      assertEquals(2, run.exitCode(), what + ": " + run.err());
      assertEquals(1, run.err().strip().lines().count(), run.err());
      assertTrue(
          run.err().startsWith("lowrank " + args[0] + ": " + bad + ": is not a Hugging Face"),
          run.err());
      assertFalse(Files.exists(out) || Files.exists(report), "nothing written: " + what);
    }
  }
}
