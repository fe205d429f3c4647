// STUB: interfaces fixed; the zone-model helper implements buildSnapshot.
import type { ResourceRecord } from "../wire/types.js";
import type { ObjectSet } from "../source/store.js";

export interface ZoneOptions {
  /** Lower case, no trailing dot, e.g. "clusterset.local". */
  zone: string;
  /** TTL of every record but dns-version TXT (28800); 0..3600. */
  ttl: number;
  /** Addresses of ns.dns.<zone>; empty → ns.dns.<zone> exists with no records (NODATA). */
  nsAddresses: readonly string[];
  /** Local cluster id when known (flag, else ClusterProperty); used for ordering only. */
  localClusterId?: string | undefined;
}

export interface ZoneNode {
  /** Record sets at this name by type. Empty for an empty non-terminal. */
  readonly rrsets: ReadonlyMap<number, readonly ResourceRecord[]>;
}

export interface Snapshot {
  readonly zone: string;
  readonly ttl: number;
  readonly serial: number;
  /** Increases by one with every snapshot a process publishes; part of the answer-cache key. */
  readonly generation: number;
  /** The zone's SOA record (owner = zone), also used in negative answers. */
  readonly soa: ResourceRecord;
  /** Every existing name (lower case), empty non-terminals included. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
}

export function buildSnapshot(
  _objects: ObjectSet,
  _options: ZoneOptions,
  _serial: number,
  _generation: number,
): Snapshot {
  throw new Error("not implemented");
}
