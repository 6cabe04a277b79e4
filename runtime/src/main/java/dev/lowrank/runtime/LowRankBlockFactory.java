package dev.lowrank.runtime;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.util.ClassLoaderUtils;
import dev.lowrank.runtime.blocks.BlockReferences;
import dev.lowrank.runtime.blocks.LinearSites;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@link BlockFactory} of compressed DJL models: builds the original model's blocks with the
 * base factory named by {@value #BASE_FACTORY} in {@code serving.properties}, then puts a {@link
 * LowRankLinear} of the recorded rank in place of every layer the manifest lists as factorized. DJL
 * then loads the saved parameters into that structure.
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
   * uninitialized {@link LowRankLinear} of that rank, ready to receive saved parameters.
   *
   * @param root the original model's block tree
   * @param layers the factorized layers the compressed model's manifest lists
   * @return the root of the rewritten tree (a new block if the root itself was replaced)
   */
  public static Block applyStructure(Block root, List<ManifestFile.FactorizedLayer> layers) {
    Block result = root;
    BlockReferences refs = BlockReferences.of(root);
    for (ManifestFile.FactorizedLayer layer : layers) {
      LinearSites.Site site = LinearSites.named(result, layer.name());
      LowRankLinear low =
          LowRankLinear.lowRankBuilder()
              .setUnits(layer.outFeatures())
              .optInFeatures(layer.inFeatures())
              .setRank(layer.rank())
              .optBias(layer.hasBias())
              .build();
      if (site.block() == result) {
        result = low;
      } else {
        refs.replace(site.block(), low);
      }
    }
    return result;
  }
}
