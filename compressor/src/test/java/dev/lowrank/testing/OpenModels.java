package dev.lowrank.testing;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * Counts the PyTorch models a test JVM has open: each {@code PtModel} owns an NDManager named
 * {@code ptModel} under the engine's system manager, which a closed model detaches. A model DJL
 * created and nobody closed stays there until the garbage collector finalizes it.
 */
public final class OpenModels {

  private OpenModels() {}

  /**
   * Returns the number of open PyTorch models.
   *
   * @return the open {@code ptModel} managers under the system manager
   */
  public static long count() {
    try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
      NDManager system = probe.getParentManager();
      Field resources = BaseNDManager.class.getDeclaredField("resources");
      resources.setAccessible(true);
      Map<?, ?> attached = (Map<?, ?>) resources.get(system);
      return attached.values().stream()
          .filter(r -> r instanceof NDManager m && m.isOpen() && "ptModel".equals(m.getName()))
          .count();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("DJL's BaseNDManager no longer has 'resources'", e);
    }
  }
}
