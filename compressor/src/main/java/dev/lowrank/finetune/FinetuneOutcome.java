package dev.lowrank.finetune;

import dev.lowrank.linalg.LowRankFactors;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of a fine-tuning: the trained factors, to be written in place of the truncated ones,
 * and the report of what was done.
 *
 * @param factors the kept factors of every factorized layer, by layer name, in model order (the
 *     truncated ones when no epoch beat them)
 * @param report what was done
 */
public record FinetuneOutcome(Map<String, LowRankFactors> factors, FinetuneReport report) {

  /** Copies the map, keeping its order. */
  public FinetuneOutcome {
    factors = Collections.unmodifiableMap(new LinkedHashMap<>(factors));
  }
}
