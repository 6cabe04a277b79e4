package dev.lowrank.runtime;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.util.ClassLoaderUtils;
import dev.lowrank.runtime.blocks.BlockReferences;
import dev.lowrank.runtime.blocks.LayerSites;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@link BlockFactory} of compressed DJL models: builds the original model's blocks with the
 * base factory named by {@value #BASE_FACTORY} in {@code serving.properties}, then puts a {@link
 * LowRankLinear} (or, for a convolution, a {@link LowRankConv2d} of the recorded form) of the
 * recorded rank in place of every layer the manifest lists as factorized. DJL then loads the saved
 * parameters into that structure.
 *
 * <p>A service loads a compressed model like any DJL model:
 *
 * <pre>{@code
 * Criteria<NDList, NDList> criteria = Criteria.builder()
 *     .setTypes(NDList.class, NDList.class)
 *     .optModelPath(Path.of("mlp-compressed"))
 *     .optTranslator(new NoopTranslator())
 *     .build();
 * try (ZooModel<NDList, NDList> model = criteria.loadModel()) { ... }
 * }</pre>
 */
public final class LowRankBlockFactory implements BlockFactory {

  private static final long serialVersionUID = 1L;

  /** The serving.properties key naming the original model's block factory class. */
  public static final String BASE_FACTORY = "lowrank.baseBlockFactory";

  @Override
  public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
    Object base = arguments.get(BASE_FACTORY);
    if (base == null) {
      throw new IOException(
          modelPath + ": serving.properties lacks " + BASE_FACTORY + " (the original factory)");
    }
    BlockFactory factory =
        ClassLoaderUtils.findImplementation(modelPath, BlockFactory.class, base.toString());
    if (factory == null) {
      throw new IOException(
          modelPath + ": cannot load the base block factory " + base + "; add its jar");
    }
    Block block = factory.newBlock(model, modelPath, arguments);
    return applyStructure(
        block, ManifestFile.factorizedLayers(modelPath.resolve(ManifestFile.FILE_NAME)));
  }

  /**
   * Replaces, in a freshly built block tree, each layer the manifest records with a rank by an
   * uninitialized {@link LowRankLinear} or {@link LowRankConv2d} of that rank, ready to receive
   * saved parameters.
   *
   * @param root the original model's block tree
   * @param layers the factorized layers the compressed model's manifest lists
   * @return the root of the rewritten tree (a new block if the root itself was replaced)
   */
  public static Block applyStructure(Block root, List<ManifestFile.FactorizedLayer> layers) {
    Block result = root;
    BlockReferences refs = BlockReferences.of(root);
    for (ManifestFile.FactorizedLayer layer : layers) {
      LayerSites.Site site = LayerSites.named(result, layer.name());
      Block low = layer.isConv() ? lowRankConv(layer) : lowRankLinear(layer);
      if (site.block() == result) {
        result = low;
      } else {
        refs.replace(site.block(), low);
      }
    }
    return result;
  }

  private static Block lowRankLinear(ManifestFile.FactorizedLayer layer) {
    return LowRankLinear.lowRankBuilder()
        .setUnits(layer.outFeatures())
        .optInFeatures(layer.inFeatures())
        .setRank(layer.rank())
        .optBias(layer.hasBias())
        .build();
  }

  private static Block lowRankConv(ManifestFile.FactorizedLayer layer) {
    ManifestFile.Conv c = layer.conv().orElseThrow();
    return LowRankConv2d.lowRankBuilder()
        .optForm(LowRankConv2d.Form.ofLabel(layer.form().orElse("channel")))
        .setRank(layer.rank())
        .setFilters(layer.outFeatures())
        .setInChannels(c.inChannels())
        .setKernelShape(new Shape(c.kernelHeight(), c.kernelWidth()))
        .optStride(new Shape(c.strideHeight(), c.strideWidth()))
        .optPadding(new Shape(c.padHeight(), c.padWidth()))
        .optDilation(new Shape(c.dilationHeight(), c.dilationWidth()))
        .optBias(layer.hasBias())
        .build();
  }
}
