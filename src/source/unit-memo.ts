// What each unit of one manifest file converted to, carried from one read of the file to the
// next (see UnitMemo in manifest.ts), so that an edit to one object of a 57 MB file re-parses
// and re-validates that object only, and hands the store the very same instances for the rest
// (the store then sees them unchanged at the cost of an identity check).
//
// Keys are SHA-256 digests of a unit's text, not the text itself: holding the units
// would keep a second copy of the file alive between reloads, where a digest costs 44
// characters. Units are kept by context first; a file has a few contexts (one per List).

import { createHash } from "node:crypto";
import type { UnitMemo } from "./manifest.js";

const SURROGATE = /[\uD800-\uDFFF]/;

/** Units by context, then by key. */
export type RememberedUnits<T> = ReadonlyMap<string, ReadonlyMap<string, readonly T[]>>;

export class UnitGeneration<T> implements UnitMemo<T> {
  /** The units of the last good read of the file. */
  private readonly previous: RememberedUnits<T>;
  /** The units of this read, remembered or parsed: what the next read will look in. */
  private readonly current = new Map<string, Map<string, readonly T[]>>();
  /** Units this read had to parse because the previous read had no unit like them. */
  parsed = 0;

  constructor(previous: RememberedUnits<T> = new Map()) {
    this.previous = previous;
  }

  /** What the next read of the file starts from; units of the previous read not seen now are gone. */
  get units(): RememberedUnits<T> {
    return this.current;
  }

  keyOf(unit: string): string {
    // UTF-8 hashes half the bytes of UTF-16 and tells apart every string without lone
    // surrogates, which is all text decoded from a file. A string with any surrogate is hashed
    // as UTF-16 code units (UTF-8 would turn every lone surrogate into U+FFFD), after another
    // tag byte, so that its bytes can never pass for a UTF-8 text's.
    const asUtf8 = !SURROGATE.test(unit);
    return createHash("sha256")
      .update(asUtf8 ? "8" : "6")
      .update(unit, asUtf8 ? "utf8" : "utf16le")
      .digest("base64");
  }

  get(context: string, key: string): readonly T[] | undefined {
    // Mostly found in the previous read; in this one only when a unit repeats.
    const known = this.previous.get(context)?.get(key) ?? this.current.get(context)?.get(key);
    if (known === undefined) {
      this.parsed++;
      return undefined;
    }
    this.set(context, key, known);
    return known;
  }

  set(context: string, key: string, objects: readonly T[]): void {
    const units = this.current.get(context);
    if (units === undefined) this.current.set(context, new Map([[key, objects]]));
    else units.set(key, objects);
  }
}
