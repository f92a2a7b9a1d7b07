import { unitInterval } from "./util";

/**
 * Train/valid/test by project unit, never by function. Units of each language (a unit's
 * language is the one most of its functions are in) are ordered by a hash of the unit id;
 * test takes units in that order until it holds >= 5% of the language's functions, valid
 * likewise, the rest is train. A unit holding > 10% of a language's functions stays in train
 * when the language has >= 10 units (one giant unit would otherwise make the test set).
 * A language with fewer than 10 units gives its smallest units to test and valid instead.
 * Once a split has some units, units that would push it past 12.5% are passed over.
 * Units without functions fall back to the hash alone (5% / 5% / 90%).
 */
export type Split = "train" | "valid" | "test";
export const HELD_SHARE = 0.05;

export interface UnitInfo {
  unit: string;
  lang: string; // primary language
  functions: number;
}

export function assignSplits(units: UnitInfo[]): Map<string, Split> {
  const result = new Map<string, Split>();
  const byLang = new Map<string, UnitInfo[]>();
  for (const info of units) {
    if (info.functions === 0) {
      const u = unitInterval(info.unit);
      result.set(info.unit, u < HELD_SHARE ? "test" : u < 2 * HELD_SHARE ? "valid" : "train");
      continue;
    }
    byLang.set(info.lang, [...(byLang.get(info.lang) ?? []), info]);
  }
  for (const [, group] of [...byLang].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    // Few units: the smallest go to test and valid (a hash order could hand them most of the language).
    const few = group.length < 10;
    const ordered = group.slice().sort((a, b) =>
      (few ? a.functions - b.functions : 0) || unitInterval(a.unit) - unitInterval(b.unit) || (a.unit < b.unit ? -1 : 1));
    const total = ordered.reduce((n, u) => n + u.functions, 0);
    const remaining = new Set(ordered.map((u) => u.unit));
    if (ordered.length >= 3) {
      for (const split of ["test", "valid"] as const) {
        let taken = 0;
        for (const info of ordered) {
          if (!remaining.has(info.unit)) continue;
          if (taken > 0 && taken >= HELD_SHARE * total) break;
          if (ordered.length >= 10 && info.functions > 0.1 * total) continue;
          if (ordered.length >= 10 && taken > 0 && taken + info.functions > 2.5 * HELD_SHARE * total) continue;
          if (remaining.size <= 1) break;
          result.set(info.unit, split);
          remaining.delete(info.unit);
          taken += info.functions;
        }
      }
    }
    for (const unit of remaining) result.set(unit, "train");
  }
  return result;
}
