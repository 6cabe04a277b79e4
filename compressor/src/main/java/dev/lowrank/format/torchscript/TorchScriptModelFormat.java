package dev.lowrank.format.torchscript;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.internal.TorchScriptModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * TorchScript archives: the {@code .pt} files {@code torch.jit.save} writes after {@code
 * torch.jit.script} or {@code torch.jit.trace} (PyTorch 1.13 through 2.x), which DJL's PyTorch
 * engine loads.
 *
 * <p>lowrank reads such a file without running anything from it: a zip reader that refuses entries
 * escaping the archive and absurd sizes, a pickle reader limited to the globals TorchScript uses,
 * and a parser of the archive's class code. The linear layers are the modules that hold a 2-D
 * {@code weight} and either compute exactly {@code torch.linear(x, weight, bias)} or are named
 * {@code *Linear}; a layer whose weight other code reads directly (as {@code nn.MultiheadAttention}
 * does with {@code out_proj.weight}) is reported as ineligible. Writing replaces each chosen
 * layer's weight by {@code lowrank_a} (r x m) and {@code lowrank_b} (n x r) with a forward of two
 * products, and embeds the manifest as {@code extra/lowrank-manifest.json} ({@code
 * torch.jit.load(path, _extra_files={"lowrank-manifest.json": ""})} reads it).
 *
 * <p>What is refused as a damaged file ({@link dev.lowrank.format.ModelFileException} when the
 * model is opened, so nothing is written), besides unreadable zips and pickles:
 *
 * <ul>
 *   <li>an archive format version (the {@code version} record, and {@code .data/version} where
 *       there is one) other than 3 to 10, the versions PyTorch 1.13 to 2.x write (10 is also the
 *       newest any of them reads);
 *   <li>a code file ({@code code/**.py}) that is not syntactically TorchScript as PyTorch's
 *       importer parses it: top-level statements other than {@code class}, {@code def} and {@code
 *       import}, broken indentation, malformed statements or expressions, non-ASCII names, string
 *       prefixes, and constructs TorchScript never prints (lambdas, comprehensions, decorators,
 *       {@code try}, semicolons, one-line bodies).
 * </ul>
 *
 * <p>Names in code are not resolved: a call of an operator PyTorch does not have ({@code
 * torch._is_flinear(x)}) is well-formed code, so such an archive is read and the class holding it
 * is copied as it is; PyTorch then refuses the output where it refuses the input. Every code file
 * an output carries (copied, edited or new) is parsed again when the written file is read back,
 * before it replaces the output path.
 */
public final class TorchScriptModelFormat implements ModelFormat {

  private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};

  @Override
  public String name() {
    return "torchscript";
  }

  /**
   * Accepts a regular file that starts like a zip archive, or whose name ends in {@code .pt},
   * {@code .pth} or {@code .ptl} (so that a damaged {@code .pt} file gets a TorchScript error
   * message rather than "unknown format").
   *
   * @param path an existing file or directory
   * @return whether {@link #open(Path)} should be tried
   */
  @Override
  public boolean accepts(Path path) {
    if (!Files.isRegularFile(path)) {
      return false;
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".ptl")) {
      return true;
    }
    try (InputStream in = Files.newInputStream(path)) {
      return Arrays.equals(in.readNBytes(4), ZIP_MAGIC);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public SourceModel open(Path path) throws ModelFileException {
    if (Files.isDirectory(path)) {
      throw new ModelFileException(path, "is a directory, not a TorchScript file");
    }
    if (!Files.exists(path)) {
      throw new ModelFileException(path, "no such file");
    }
    return TorchScriptModel.open(this, path);
  }
}
