package dev.lowrank.eval.model.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads the argument names of a TorchScript file's {@code forward} (e.g. {@code input_ids,
 * attention_mask}), which DJL does not report: the root module's class comes from the first global
 * of {@code data.pkl}, its code from {@code code/<module path>.py}.
 */
public final class ForwardSignature {

  private static final int MAX_CODE = 8 << 20;
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private ForwardSignature() {}

  /**
   * Returns the names of the root module's {@code forward} arguments after {@code self}.
   *
   * @param file a TorchScript file
   * @return the argument names in order, or empty when the file's code cannot be read this way
   */
  public static Optional<List<String>> read(Path file) {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ZipEntry pkl = null;
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        String[] parts = e.getName().split("/");
        if (parts.length == 2 && parts[1].equals("data.pkl")) {
          pkl = e;
          break;
        }
      }
      if (pkl == null) {
        return Optional.empty();
      }
      String prefix = pkl.getName().substring(0, pkl.getName().indexOf('/'));
      Optional<String[]> type = rootType(zip, pkl);
      if (type.isEmpty()) {
        return Optional.empty();
      }
      String module = type.get()[0];
      String cls = type.get()[1];
      ZipEntry code = zip.getEntry(prefix + "/code/" + module.replace('.', '/') + ".py");
      if (code == null || code.getSize() > MAX_CODE) {
        return Optional.empty();
      }
      String source;
      try (InputStream in = zip.getInputStream(code)) {
        source = new String(in.readNBytes(MAX_CODE), StandardCharsets.UTF_8);
      }
      return arguments(source, cls);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Optional<String[]> rootType(ZipFile zip, ZipEntry pkl) throws IOException {
    byte[] head;
    try (InputStream in = zip.getInputStream(pkl)) {
      head = in.readNBytes(512);
    }
    // Protocol 2 header (0x80 0x02), then GLOBAL: 'c' module '\n' name '\n'.
    int i = head.length > 2 && (head[0] & 0xff) == 0x80 ? 2 : 0;
    if (i >= head.length || head[i] != 'c') {
      return Optional.empty();
    }
    int a = i + 1;
    int b = indexOf(head, (byte) '\n', a);
    int c = b < 0 ? -1 : indexOf(head, (byte) '\n', b + 1);
    if (c < 0) {
      return Optional.empty();
    }
    String module = new String(head, a, b - a, StandardCharsets.UTF_8);
    String name = new String(head, b + 1, c - b - 1, StandardCharsets.UTF_8);
    if (!module.startsWith("__torch__") || !NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    return Optional.of(new String[] {module, name});
  }

  /**
   * Parses the arguments of {@code def forward(self: ..., a: T, b: T=None) -> R:} in class {@code
   * cls} of a TorchScript code file.
   *
   * @param source the code file
   * @param cls the class name
   * @return the argument names after {@code self}, or empty when not found
   */
  static Optional<List<String>> arguments(String source, String cls) {
    int at = source.indexOf("class " + cls + "(");
    if (at < 0) {
      return Optional.empty();
    }
    int def = source.indexOf("def forward(", at);
    int nextClass = source.indexOf("\nclass ", at + 1);
    if (def < 0 || (nextClass >= 0 && def > nextClass)) {
      return Optional.empty();
    }
    int start = def + "def forward(".length();
    int depth = 0;
    int end = -1;
    for (int k = start; k < source.length(); k++) {
      char ch = source.charAt(k);
      if (ch == '(' || ch == '[') {
        depth++;
      } else if (ch == ']') {
        depth--;
      } else if (ch == ')') {
        if (depth == 0) {
          end = k;
          break;
        }
        depth--;
      }
    }
    if (end < 0) {
      return Optional.empty();
    }
    List<String> names = new ArrayList<>();
    depth = 0;
    StringBuilder arg = new StringBuilder();
    String list = source.substring(start, end);
    for (int k = 0; k <= list.length(); k++) {
      char ch = k < list.length() ? list.charAt(k) : ',';
      if (ch == '(' || ch == '[') {
        depth++;
      } else if (ch == ')' || ch == ']') {
        depth--;
      }
      if (ch == ',' && depth == 0) {
        String a = arg.toString().strip();
        if (!a.isEmpty()) {
          Matcher m = NAME.matcher(a);
          if (!m.lookingAt()) {
            return Optional.empty();
          }
          names.add(m.group());
        }
        arg.setLength(0);
      } else {
        arg.append(ch);
      }
    }
    if (names.isEmpty() || !names.get(0).equals("self")) {
      return Optional.empty();
    }
    return Optional.of(List.copyOf(names.subList(1, names.size())));
  }

  private static int indexOf(byte[] b, byte v, int from) {
    for (int k = from; k < b.length; k++) {
      if (b[k] == v) {
        return k;
      }
    }
    return -1;
  }
}
