// Memory-lean read-only maps behind Snapshot.nodes. A zone at scale has hundreds of thousands of
// names, most with one record set, and is rebuilt after every change; a plain Map per node and
// one flat Map of all names would make each rebuild cost O(zone). Instead each service keeps its
// own memoized map of names, and the snapshot's map routes a name to its service's map.

import { RRClass, type RecordData, type ResourceRecord } from "../wire/types.js";
import type { ZoneNode } from "./snapshot.js";
import type { RouteLookup } from "./route-table.js";

type RRsets = ReadonlyMap<number, readonly ResourceRecord[]>;

/** A node that is its own record-set map: two small arrays instead of a hash table. */
export class RRsetNode implements ZoneNode, RRsets {
  constructor(
    private readonly types: readonly number[],
    private readonly sets: readonly (readonly ResourceRecord[])[],
  ) {}

  get rrsets(): RRsets {
    return this;
  }

  get size(): number {
    return this.types.length;
  }

  get(type: number): readonly ResourceRecord[] | undefined {
    const index = this.types.indexOf(type);
    return index < 0 ? undefined : this.sets[index];
  }

  has(type: number): boolean {
    return this.types.includes(type);
  }

  forEach(
    callback: (value: readonly ResourceRecord[], key: number, map: RRsets) => void,
    thisArg?: unknown,
  ): void {
    this.types.forEach((type, i) => callback.call(thisArg, this.sets[i] ?? [], type, this));
  }

  *entries(): MapIterator<[number, readonly ResourceRecord[]]> {
    for (let i = 0; i < this.types.length; i++) yield [this.types[i] ?? 0, this.sets[i] ?? []];
    return undefined;
  }

  [Symbol.iterator](): MapIterator<[number, readonly ResourceRecord[]]> {
    return this.entries();
  }

  *keys(): MapIterator<number> {
    yield* this.types;
    return undefined;
  }

  *values(): MapIterator<readonly ResourceRecord[]> {
    yield* this.sets;
    return undefined;
  }
}

/** The most common node (a per-endpoint name, an SRV name): one record set, one object. */
export class SingleRRsetNode implements ZoneNode, RRsets {
  constructor(
    private readonly type: number,
    private readonly records: readonly ResourceRecord[],
  ) {}

  get rrsets(): RRsets {
    return this;
  }

  get size(): number {
    return 1;
  }

  get(type: number): readonly ResourceRecord[] | undefined {
    return type === this.type ? this.records : undefined;
  }

  has(type: number): boolean {
    return type === this.type;
  }

  forEach(
    callback: (value: readonly ResourceRecord[], key: number, map: RRsets) => void,
    thisArg?: unknown,
  ): void {
    callback.call(thisArg, this.records, this.type, this);
  }

  *entries(): MapIterator<[number, readonly ResourceRecord[]]> {
    yield [this.type, this.records];
    return undefined;
  }

  [Symbol.iterator](): MapIterator<[number, readonly ResourceRecord[]]> {
    return this.entries();
  }

  *keys(): MapIterator<number> {
    yield this.type;
    return undefined;
  }

  *values(): MapIterator<readonly ResourceRecord[]> {
    yield this.records;
    return undefined;
  }
}

/** One record set's data: the data itself when the set has one record, else the list. */
export type RRsetData = RecordData | readonly RecordData[];

function recordsOf(owner: string, ttl: number, set: RRsetData): readonly ResourceRecord[] {
  if (!Array.isArray(set))
    return Object.freeze([{ name: owner, ttl, class: RRClass.IN, data: set as RecordData }]);
  const data = set as readonly RecordData[];
  const records = new Array<ResourceRecord>(data.length);
  for (let i = 0; i < data.length; i++)
    records[i] = { name: owner, ttl, class: RRClass.IN, data: data[i] as RecordData };
  return Object.freeze(records);
}

/**
 * A service name's node as record data by type. The records (owner, TTL, class, data) are made
 * when read and held only weakly: a zone at scale has ~3 records per name, each an object, and
 * the answer cache in front of the lookup reads a record set about once per snapshot. While a
 * made array is alive (at least for the rest of the current job, as WeakRef guarantees), reads
 * return that same frozen array. Not frozen itself, for that one cache field.
 */
export class DataNode implements ZoneNode, RRsets {
  private made: (WeakRef<readonly ResourceRecord[]> | undefined)[] | undefined;

  constructor(
    private readonly owner: string,
    private readonly ttl: number,
    private readonly types: readonly number[],
    private readonly sets: readonly RRsetData[],
  ) {}

  private records(index: number): readonly ResourceRecord[] | undefined {
    const known = this.made?.[index]?.deref();
    if (known !== undefined) return known;
    const set = this.sets[index];
    if (set === undefined) return undefined;
    const records = recordsOf(this.owner, this.ttl, set);
    (this.made ??= new Array<undefined>(this.types.length))[index] = new WeakRef(records);
    return records;
  }

  get rrsets(): RRsets {
    return this;
  }

  get size(): number {
    return this.types.length;
  }

  get(type: number): readonly ResourceRecord[] | undefined {
    const index = this.types.indexOf(type);
    return index < 0 ? undefined : this.records(index);
  }

  has(type: number): boolean {
    return this.types.includes(type);
  }

  forEach(
    callback: (value: readonly ResourceRecord[], key: number, map: RRsets) => void,
    thisArg?: unknown,
  ): void {
    for (const [type, records] of this.entries()) callback.call(thisArg, records, type, this);
  }

  *entries(): MapIterator<[number, readonly ResourceRecord[]]> {
    for (let i = 0; i < this.types.length; i++) {
      const records = this.records(i);
      if (records !== undefined) yield [this.types[i] ?? 0, records];
    }
    return undefined;
  }

  [Symbol.iterator](): MapIterator<[number, readonly ResourceRecord[]]> {
    return this.entries();
  }

  *keys(): MapIterator<number> {
    yield* this.types;
    return undefined;
  }

  *values(): MapIterator<readonly ResourceRecord[]> {
    for (const [, records] of this.entries()) yield records;
    return undefined;
  }
}

/** The most common service node (a per-endpoint name, an SRV name): one type, no arrays. */
export class SingleDataNode implements ZoneNode, RRsets {
  /** See DataNode. */
  private made: WeakRef<readonly ResourceRecord[]> | undefined;

  constructor(
    private readonly owner: string,
    private readonly ttl: number,
    private readonly type: number,
    private readonly set: RRsetData,
  ) {}

  private records(): readonly ResourceRecord[] {
    const known = this.made?.deref();
    if (known !== undefined) return known;
    const records = recordsOf(this.owner, this.ttl, this.set);
    this.made = new WeakRef(records);
    return records;
  }

  get rrsets(): RRsets {
    return this;
  }

  get size(): number {
    return 1;
  }

  get(type: number): readonly ResourceRecord[] | undefined {
    return type === this.type ? this.records() : undefined;
  }

  has(type: number): boolean {
    return type === this.type;
  }

  forEach(
    callback: (value: readonly ResourceRecord[], key: number, map: RRsets) => void,
    thisArg?: unknown,
  ): void {
    callback.call(thisArg, this.records(), this.type, this);
  }

  *entries(): MapIterator<[number, readonly ResourceRecord[]]> {
    yield [this.type, this.records()];
    return undefined;
  }

  [Symbol.iterator](): MapIterator<[number, readonly ResourceRecord[]]> {
    return this.entries();
  }

  *keys(): MapIterator<number> {
    yield this.type;
    return undefined;
  }

  *values(): MapIterator<readonly ResourceRecord[]> {
    yield this.records();
    return undefined;
  }
}

/**
 * A node of `owner` holding `sets[i]` (record data, in order) for `types[i]` (types
 * unique, every set non-empty), the lightest class that fits. Arrays are copied at their exact
 * length, so callers may pass arrays they grew by push.
 */
export function makeDataNode(
  owner: string,
  ttl: number,
  types: readonly number[],
  sets: readonly (readonly RecordData[])[],
): ZoneNode {
  const compact = (set: readonly RecordData[]): RRsetData =>
    set.length === 1 ? (set[0] as RecordData) : Object.freeze(set.slice());
  const [type] = types;
  const [set] = sets;
  if (types.length === 1 && type !== undefined && set !== undefined)
    return new SingleDataNode(owner, ttl, type, compact(set));
  return new DataNode(owner, ttl, Object.freeze(types.slice()), Object.freeze(sets.map(compact)));
}

/** A frozen node for record sets by type (types unique), the lightest class that fits. */
export function makeNode(
  types: readonly number[],
  sets: readonly (readonly ResourceRecord[])[],
): ZoneNode {
  const [type] = types;
  const [records] = sets;
  if (types.length === 1 && type !== undefined && records !== undefined)
    return Object.freeze(new SingleRRsetNode(type, Object.freeze(records)));
  for (const set of sets) Object.freeze(set);
  return Object.freeze(new RRsetNode(Object.freeze(types), Object.freeze(sets)));
}

/** The node of every empty non-terminal. */
export const EMPTY_NODE: ZoneNode = Object.freeze(
  new RRsetNode(Object.freeze([]), Object.freeze([])),
);

/**
 * All names of a snapshot: a few zone-wide names (apex, svc.Z, N.svc.Z) plus one map per
 * service, found by the two labels in front of ".svc.Z" (`S.N`).
 */
export class ZoneNodes implements ReadonlyMap<string, ZoneNode> {
  readonly size: number;

  constructor(
    private readonly common: ReadonlyMap<string, ZoneNode>,
    /** `S.N` → the names of that service (a Map, or the builder's shared RouteTable). */
    private readonly services: RouteLookup<ReadonlyMap<string, ZoneNode>>,
    /** ".svc.<zone>" (".svc" for the root zone). */
    private readonly serviceSuffix: string,
    /** The number of names when the caller knows it (saves a walk over every service). */
    size?: number,
  ) {
    if (size === undefined) {
      size = common.size;
      for (const names of services.values()) size += names.size;
    }
    this.size = size;
  }

  get(name: string): ZoneNode | undefined {
    return this.common.get(name) ?? this.serviceOf(name)?.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** The names of the service `name` belongs to, when it is below some `S.N.svc.Z`. */
  private serviceOf(name: string): ReadonlyMap<string, ZoneNode> | undefined {
    if (!name.endsWith(this.serviceSuffix)) return undefined;
    const end = name.length - this.serviceSuffix.length;
    const namespaceDot = name.lastIndexOf(".", end - 1);
    if (namespaceDot <= 0) return undefined;
    const start = name.lastIndexOf(".", namespaceDot - 1) + 1;
    return this.services.get(name.slice(start, end));
  }

  forEach(
    callback: (value: ZoneNode, key: string, map: ReadonlyMap<string, ZoneNode>) => void,
    thisArg?: unknown,
  ): void {
    for (const [name, node] of this.entries()) callback.call(thisArg, node, name, this);
  }

  *entries(): MapIterator<[string, ZoneNode]> {
    yield* this.common;
    for (const names of this.services.values()) yield* names;
    return undefined;
  }

  [Symbol.iterator](): MapIterator<[string, ZoneNode]> {
    return this.entries();
  }

  *keys(): MapIterator<string> {
    for (const [name] of this.entries()) yield name;
    return undefined;
  }

  *values(): MapIterator<ZoneNode> {
    for (const [, node] of this.entries()) yield node;
    return undefined;
  }
}
