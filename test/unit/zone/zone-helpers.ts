// Shared helpers for the zone tests: raw objects → ObjectSet → Snapshot, and records as short text.

import assert from "node:assert/strict";
import type { ObjectSet } from "../../../src/source/store.js";
import { parseObject } from "../../../src/zone/objects.js";
import { buildSnapshot, type Snapshot, type ZoneOptions } from "../../../src/zone/snapshot.js";
import {
  objectKey,
  type ClusterProperty,
  type EndpointSlice,
  type ServiceImport,
} from "../../../src/zone/types.js";
import type { ResourceRecord } from "../../../src/wire/types.js";

export const ZONE = "clusterset.local";

export interface MutableObjectSet extends ObjectSet {
  imports: Map<string, ServiceImport>;
  slices: Map<string, EndpointSlice>;
  clusterProperties: Map<string, ClusterProperty>;
}

/** Parse raw objects; objects validation skips entirely are left out (as a source would). */
export function objectSetOf(raws: readonly unknown[]): MutableObjectSet {
  const set: MutableObjectSet = {
    imports: new Map(),
    slices: new Map(),
    clusterProperties: new Map(),
  };
  for (const raw of raws) {
    const result = parseObject(raw);
    assert.ok(result, "test fixture of a kind we ignore");
    const object = result.object;
    if (!object) continue;
    if (object.kind === "ServiceImport") set.imports.set(objectKey(object), object);
    else if (object.kind === "EndpointSlice") set.slices.set(objectKey(object), object);
    else set.clusterProperties.set(objectKey(object), object);
  }
  return set;
}

export function options(overrides: Partial<ZoneOptions> = {}): ZoneOptions {
  return { zone: ZONE, ttl: 5, nsAddresses: [], ...overrides };
}

export function snapshotOf(
  raws: readonly unknown[],
  overrides: Partial<ZoneOptions> = {},
  serial = 1,
): Snapshot {
  return buildSnapshot(objectSetOf(raws), options(overrides), serial, 1);
}

/** `svc.ns` → `svc.ns.svc.clusterset.local`; "" → the apex. */
export function fqdn(relative: string): string {
  return relative === "" ? ZONE : `${relative}.${ZONE}`;
}

/** Record data as short presentation text (no owner, TTL or class). */
export function rdata(record: ResourceRecord): string {
  const data = record.data;
  switch (data.type) {
    case 1:
    case 28:
      return data.address;
    case 2:
      return data.host;
    case 16:
      return data.strings.map((s) => JSON.stringify(s)).join(" ");
    case 33:
      return `${data.priority} ${data.weight} ${data.port} ${data.target}`;
    case 6:
      return `${data.mname} ${data.rname} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
  }
}

/** The rdata of one rrset of a node, [] when the rrset is absent; throws when the node is absent. */
export function rrsetText(snapshot: Snapshot, name: string, type: number): string[] {
  const node = snapshot.nodes.get(name);
  assert.ok(node, `node ${name} missing`);
  return (node.rrsets.get(type) ?? []).map(rdata);
}
