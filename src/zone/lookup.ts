// Question → answer sections from one snapshot (spec §3). Server policy (REFUSED, AXFR,
// SERVFAIL before sync, class checks) is not decided here. Results share the snapshot's frozen
// record arrays and, for negative answers, frozen per-snapshot results: treat them as read-only.

import { RRType, type ResourceRecord } from "../wire/types.js";
import type { Snapshot } from "./snapshot.js";

export interface LookupResult {
  /** NOERROR (0) or NXDOMAIN (3); NODATA is NOERROR with an empty answer. */
  rcode: 0 | 3;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

const ADDRESS_TYPES = [RRType.A, RRType.AAAA] as const;
const NONE = Object.freeze([]) as readonly ResourceRecord[] as ResourceRecord[];

/** True when `nameLower` is the zone apex or below it. */
export function inZone(nameLower: string, zone: string): boolean {
  if (zone === "") return true;
  if (nameLower.length === zone.length) return nameLower === zone;
  return (
    nameLower.length > zone.length &&
    nameLower.endsWith(zone) &&
    nameLower.charCodeAt(nameLower.length - zone.length - 1) === 0x2e /* "." */
  );
}

interface NegativeResults {
  nxdomain: LookupResult;
  nodata: LookupResult;
}

const negativeCache = new WeakMap<Snapshot, NegativeResults>();

/** The SOA for negative answers, with TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308 §3). */
export function negativeSoa(soa: ResourceRecord): ResourceRecord {
  if (soa.data.type !== RRType.SOA || soa.ttl <= soa.data.minimum) return soa;
  return Object.freeze({ ...soa, ttl: soa.data.minimum });
}

function negativeResults(snapshot: Snapshot): NegativeResults {
  let results = negativeCache.get(snapshot);
  if (!results) {
    const authority: ResourceRecord[] = [negativeSoa(snapshot.soa)];
    Object.freeze(authority);
    results = {
      nxdomain: Object.freeze({ rcode: 3, answer: NONE, authority, additional: NONE }),
      nodata: Object.freeze({ rcode: 0, answer: NONE, authority, additional: NONE }),
    };
    negativeCache.set(snapshot, results);
  }
  return results;
}

/** A and AAAA of each distinct name the answer points at (SRV targets, NS hosts), in order. */
function addressesOf(snapshot: Snapshot, names: readonly string[]): ResourceRecord[] {
  let additional: ResourceRecord[] | undefined;
  // Few targets is the common case; a linear scan beats building a Set there.
  const seen = names.length > 16 ? new Set<string>() : undefined;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (seen) {
      if (seen.has(name)) continue;
      seen.add(name);
    } else if (names.indexOf(name) !== i) continue;
    const node = snapshot.nodes.get(name);
    if (!node) continue;
    for (const type of ADDRESS_TYPES) {
      const records = node.rrsets.get(type);
      if (records && records.length > 0) (additional ??= []).push(...records);
    }
  }
  return additional ?? NONE;
}

function additionalFor(
  snapshot: Snapshot,
  qtype: number,
  answer: readonly ResourceRecord[],
): ResourceRecord[] {
  if (qtype !== RRType.SRV && qtype !== RRType.NS) return NONE;
  const names: string[] = [];
  for (const record of answer) {
    if (record.data.type === RRType.SRV) names.push(record.data.target);
    else if (record.data.type === RRType.NS) names.push(record.data.host);
  }
  return addressesOf(snapshot, names);
}

/**
 * Answer a question for a name inside the snapshot's zone (callers check inZone first).
 * ANY returns every record set at the name with no additional section.
 */
export function lookup(snapshot: Snapshot, nameLower: string, qtype: number): LookupResult {
  const node = snapshot.nodes.get(nameLower);
  if (!node) return negativeResults(snapshot).nxdomain;
  if (qtype === RRType.ANY) {
    if (node.rrsets.size === 0) return negativeResults(snapshot).nodata;
    const answer: ResourceRecord[] = [];
    for (const records of node.rrsets.values()) answer.push(...records);
    return { rcode: 0, answer, authority: NONE, additional: NONE };
  }
  const records = node.rrsets.get(qtype);
  if (!records || records.length === 0) return negativeResults(snapshot).nodata;
  return {
    rcode: 0,
    answer: records as ResourceRecord[],
    authority: NONE,
    additional: additionalFor(snapshot, qtype, records),
  };
}
