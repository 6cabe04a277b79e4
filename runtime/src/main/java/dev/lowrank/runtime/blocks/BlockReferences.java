package dev.lowrank.runtime.blocks;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.util.PairList;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds every place in a DJL block tree that refers to a given block, so that a block can be
 * swapped for another everywhere or, when one of those places cannot be rewritten, left alone.
 *
 * <p>It walks the fields of blocks and of the plain objects they hold (lists, maps, arrays, {@link
 * PairList}s, lambdas and user classes), not the NDArrays, parameters and JDK internals. A parent
 * that keeps a {@code Linear} in a field, a list or the {@code children} list of {@link
 * AbstractBlock} is rewritable; a lambda's captured variable or a field whose type cannot hold the
 * replacement is not.
 */
public final class BlockReferences {

  private static final int MAX_DEPTH = 64;

  private final Map<Object, List<Slot>> slots = new IdentityHashMap<>();

  private BlockReferences() {}

  /**
   * Indexes every reference reachable from {@code root}.
   *
   * @param root the root block
   * @return the index
   */
  public static BlockReferences of(Block root) {
    BlockReferences refs = new BlockReferences();
    refs.walk(root, java.util.Collections.newSetFromMap(new IdentityHashMap<>()), 0);
    return refs;
  }

  /**
   * Returns the places that refer to {@code target}.
   *
   * @param target a block of the tree
   * @return its referring slots, empty for the root
   */
  List<Slot> referencesTo(Object target) {
    return slots.getOrDefault(target, List.of());
  }

  /**
   * Returns why {@code target} cannot be replaced by an object of {@code replacement}'s class, or
   * empty when every reference to it can be rewritten.
   *
   * @param target the block to replace
   * @param replacement the class of its replacement
   * @return the obstacle, if any
   */
  public Optional<String> obstacle(Object target, Class<?> replacement) {
    for (Slot slot : referencesTo(target)) {
      Optional<String> why = slot.obstacle(replacement);
      if (why.isPresent()) {
        return why;
      }
    }
    return Optional.empty();
  }

  /**
   * Points every reference to {@code target} at {@code replacement}.
   *
   * @param target the old block
   * @param replacement the new block
   */
  public void replace(Object target, Object replacement) {
    List<Slot> list = new ArrayList<>(referencesTo(target));
    for (Slot slot : list) {
      slot.set(replacement);
    }
    slots.remove(target);
    slots.put(replacement, list);
  }

  private void walk(Object object, Set<Object> seen, int depth) {
    if (object == null || depth > MAX_DEPTH || !seen.add(object) || isLeaf(object.getClass())) {
      return;
    }
    if (object instanceof PairList<?, ?> pairs) {
      for (int i = 0; i < pairs.size(); i++) {
        Object value = pairs.valueAt(i);
        record(value, new PairListSlot(pairs, i));
        walk(value, seen, depth + 1);
      }
      return;
    }
    if (object instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        Object value = list.get(i);
        record(value, new ListSlot(list, i));
        walk(value, seen, depth + 1);
      }
      return;
    }
    if (object instanceof Collection<?> collection) {
      for (Object value : collection) {
        record(value, new FixedSlot("an element of a " + object.getClass().getName()));
        walk(value, seen, depth + 1);
      }
      return;
    }
    if (object instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        record(e.getValue(), new MapSlot(map, e.getKey()));
        walk(e.getValue(), seen, depth + 1);
      }
      return;
    }
    if (object.getClass().isArray()) {
      if (!object.getClass().getComponentType().isPrimitive()) {
        for (int i = 0; i < Array.getLength(object); i++) {
          Object value = Array.get(object, i);
          record(value, new ArraySlot(object, i));
          walk(value, seen, depth + 1);
        }
      }
      return;
    }
    for (Class<?> c = object.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
          continue;
        }
        Object value;
        try {
          field.setAccessible(true);
          value = field.get(object);
        } catch (InaccessibleObjectException | IllegalAccessException e) {
          continue;
        }
        record(value, new FieldSlot(object, field));
        walk(value, seen, depth + 1);
      }
    }
  }

  private void record(Object value, Slot slot) {
    if (value instanceof Block) {
      slots.computeIfAbsent(value, k -> new ArrayList<>()).add(slot);
    }
  }

  private static boolean isLeaf(Class<?> c) {
    if (c.isPrimitive() || c.isEnum() || c == String.class || Number.class.isAssignableFrom(c)) {
      return true;
    }
    String name = c.getName();
    if (name.startsWith("ai.djl.ndarray.")
        || name.startsWith("ai.djl.pytorch.")
        || name.startsWith("ai.djl.engine.")
        || name.startsWith("ai.djl.training.")
        || name.equals("ai.djl.nn.Parameter")
        || name.startsWith("ai.djl.Model")
        || name.startsWith("ai.djl.BaseModel")
        || name.startsWith("ai.djl.Device")) {
      return true;
    }
    boolean jdk =
        name.startsWith("java.")
            || name.startsWith("javax.")
            || name.startsWith("jdk.")
            || name.startsWith("sun.");
    // JDK collections are walked through their interfaces above; other JDK objects are leaves.
    return jdk
        && !(PairList.class.isAssignableFrom(c)
            || Collection.class.isAssignableFrom(c)
            || Map.class.isAssignableFrom(c));
  }

  /** A place holding a reference to a block. */
  interface Slot {

    /**
     * Points the place at a new object.
     *
     * @param value the replacement
     */
    void set(Object value);

    /**
     * Returns why the place cannot hold an instance of {@code type}, if it cannot.
     *
     * @param type the replacement's class
     * @return the obstacle, if any
     */
    Optional<String> obstacle(Class<?> type);
  }

  private record FieldSlot(Object owner, Field field) implements Slot {
    @Override
    public void set(Object value) {
      try {
        field.set(owner, value);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("Cannot rewrite " + describe(), e);
      }
    }

    @Override
    public Optional<String> obstacle(Class<?> type) {
      Class<?> ownerClass = owner.getClass();
      if (ownerClass.isHidden() || ownerClass.isSynthetic() || ownerClass.isRecord()) {
        return Optional.of("it is captured by " + describe() + ", which lowrank cannot rewrite");
      }
      if (Modifier.isFinal(field.getModifiers()) && !field.canAccess(owner)) {
        return Optional.of("it is held in the inaccessible final field " + describe());
      }
      if (!field.getType().isAssignableFrom(type)) {
        return Optional.of(
            "it is held in "
                + describe()
                + " of type "
                + field.getType().getSimpleName()
                + ", which cannot hold a "
                + type.getSimpleName());
      }
      return Optional.empty();
    }

    private String describe() {
      return owner.getClass().getName() + "." + field.getName();
    }
  }

  private record PairListSlot(PairList<?, ?> pairs, int index) implements Slot {
    @SuppressWarnings("unchecked")
    @Override
    public void set(Object value) {
      PairList<Object, Object> p = (PairList<Object, Object>) pairs;
      Object key = p.keyAt(index);
      p.remove(index);
      p.add(index, key, value);
    }

    @Override
    public Optional<String> obstacle(Class<?> type) {
      return Optional.empty();
    }
  }

  private record ListSlot(List<?> list, int index) implements Slot {
    @SuppressWarnings("unchecked")
    @Override
    public void set(Object value) {
      ((List<Object>) list).set(index, value);
    }

    @SuppressWarnings("unchecked")
    @Override
    public Optional<String> obstacle(Class<?> type) {
      try {
        List<Object> l = (List<Object>) list;
        l.set(index, l.get(index));
        return Optional.empty();
      } catch (UnsupportedOperationException e) {
        return Optional.of("it is held in an unmodifiable " + list.getClass().getName());
      }
    }
  }

  private record MapSlot(Map<?, ?> map, Object key) implements Slot {
    @SuppressWarnings("unchecked")
    @Override
    public void set(Object value) {
      ((Map<Object, Object>) map).put(key, value);
    }

    @SuppressWarnings("unchecked")
    @Override
    public Optional<String> obstacle(Class<?> type) {
      try {
        Map<Object, Object> m = (Map<Object, Object>) map;
        m.put(key, m.get(key));
        return Optional.empty();
      } catch (UnsupportedOperationException e) {
        return Optional.of("it is held in an unmodifiable " + map.getClass().getName());
      }
    }
  }

  private record ArraySlot(Object array, int index) implements Slot {
    @Override
    public void set(Object value) {
      Array.set(array, index, value);
    }

    @Override
    public Optional<String> obstacle(Class<?> type) {
      Class<?> component = array.getClass().getComponentType();
      return component.isAssignableFrom(type)
          ? Optional.empty()
          : Optional.of("it is held in an array of " + component.getSimpleName());
    }
  }

  private record FixedSlot(String where) implements Slot {
    @Override
    public void set(Object value) {
      throw new IllegalStateException("Cannot rewrite " + where);
    }

    @Override
    public Optional<String> obstacle(Class<?> type) {
      return Optional.of("it is held in " + where + ", which lowrank cannot rewrite");
    }
  }
}
