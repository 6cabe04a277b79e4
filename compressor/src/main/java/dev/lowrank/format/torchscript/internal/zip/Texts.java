package dev.lowrank.format.torchscript.internal.zip;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Text from an untrusted archive: strict UTF-8 decoding and printable one-line messages. */
public final class Texts {

  private static final int MAX_PRINTED = 200;

  private Texts() {}

  /**
   * Decodes UTF-8, refusing malformed input instead of replacing it.
   *
   * @param bytes the bytes between position and limit
   * @return the text, empty if the bytes are not valid UTF-8
   */
  public static Optional<String> strictUtf8(ByteBuffer bytes) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(bytes)
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /**
   * Returns text with control characters escaped, for one-line messages.
   *
   * @param text any text from the archive
   * @return the text with non-printable characters as {@code \\uXXXX}, cut at 200 characters
   */
  public static String printable(String text) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < text.length() && i < MAX_PRINTED; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (text.length() > MAX_PRINTED) {
      sb.append("...");
    }
    return sb.toString();
  }
}
