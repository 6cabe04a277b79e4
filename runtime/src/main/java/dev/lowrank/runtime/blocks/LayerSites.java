package dev.lowrank.runtime.blocks;

import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The factorizable layers of a DJL block tree, {@link Linear} and {@link Conv2d} blocks, with their
 * names: the child keys from the root joined by dots, e.g. {@code 01Linear} or {@code
 * 02SequentialBlock.03Conv2d}, in depth-first order (the names {@link LinearSites} gives linear
 * layers).
 */
public final class LayerSites {

  private LayerSites() {}

  /**
   * A factorizable block and the name it has in the tree.
   *
   * @param name the dotted child-key path
   * @param block a {@link Linear} or {@link Conv2d} (or their low-rank subclasses)
   */
  public record Site(String name, Block block) {}

  /**
   * Lists the {@link Linear} and {@link Conv2d} blocks under {@code root} (a block reached twice is
   * listed once).
   *
   * @param root the root block
   * @return the sites in depth-first order
   */
  public static List<Site> find(Block root) {
    List<Site> sites = new ArrayList<>();
    Set<Block> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    visit(root, "", sites, seen);
    return sites;
  }

  /**
   * Finds the block of a given name.
   *
   * @param root the root block
   * @param name a dotted name from {@link #find(Block)}
   * @return the site
   * @throws IllegalArgumentException if no factorizable block has that name
   */
  public static Site named(Block root, String name) {
    for (Site site : find(root)) {
      if (site.name().equals(name)) {
        return site;
      }
    }
    throw new IllegalArgumentException("No layer named '" + name + "' in the block tree");
  }

  private static void visit(Block block, String name, List<Site> sites, Set<Block> seen) {
    if (!seen.add(block)) {
      return;
    }
    if (block instanceof Linear) {
      sites.add(new Site(name.isEmpty() ? "linear" : name, block));
      return;
    }
    if (block instanceof Conv2d) {
      sites.add(new Site(name.isEmpty() ? "conv2d" : name, block));
      return;
    }
    for (Pair<String, Block> child : block.getChildren()) {
      String childName = name.isEmpty() ? child.getKey() : name + "." + child.getKey();
      visit(child.getValue(), childName, sites, seen);
    }
  }
}
