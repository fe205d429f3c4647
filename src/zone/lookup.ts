// STUB: interfaces fixed; the zone-model helper implements lookup.
import type { ResourceRecord } from "../wire/types.js";
import type { Snapshot } from "./snapshot.js";

export interface LookupResult {
  /** NOERROR (0) or NXDOMAIN (3); NODATA is NOERROR with an empty answer. */
  rcode: 0 | 3;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

/** True when `nameLower` is the zone apex or below it. */
export function inZone(_nameLower: string, _zone: string): boolean {
  throw new Error("not implemented");
}

/** Answer a question for a name inside the snapshot's zone (callers check inZone first). */
export function lookup(_snapshot: Snapshot, _nameLower: string, _qtype: number): LookupResult {
  throw new Error("not implemented");
}
