// The object store: the one place both sources write to. It keeps the current validated
// objects per kind, knows which sources have synced, and tells its listener that the data
// changed and which services that touched; the listener (the snapshot publisher) decides when
// to rebuild, and rebuilds only those services.
//
// An object equal in content to the one stored (a relist, a watch event that changed only
// fields we do not keep) leaves the stored instance in place and touches no service, so the
// snapshot builder's memoized fragments stay valid.

import {
  objectKey,
  type ClusterObject,
  type ClusterProperty,
  type EndpointSlice,
  type ObjectKind,
  type ObjectRef,
  type ServiceImport,
  type ValidationProblem,
} from "../zone/types.js";

/** What a source may do to the store. Sources validate before they call it. */
export interface ObjectSink {
  upsert(object: ClusterObject): void;
  remove(ref: ObjectRef): void;
  /** Replace every object of `kind` with `objects` (after a LIST or a file re-read). A process runs one source per kind, so "every" is that source's own. */
  replace(kind: ObjectKind, objects: readonly ClusterObject[]): void;
  /** Report an object (or part of one) that validation skipped. */
  reject(problem: ValidationProblem): void;
  /** The source has delivered a complete view once; called again later is harmless. */
  markSynced(): void;
}

/** What one store operation changed. */
export interface StoreChange {
  /**
   * `namespace/name` of every ServiceImport whose names may differ now: the import itself, or an
   * EndpointSlice labelled with its name (before or after the change), was added, changed or
   * removed. Empty when nothing of that kind changed (e.g. a source only reported it synced).
   */
  readonly services: ReadonlySet<string>;
  /** A ClusterProperty was added, changed or removed (the local cluster id may differ). */
  readonly clusterProperties: boolean;
}

export interface StoreListener {
  onChange(change: StoreChange): void;
  onReject?(source: string, problem: ValidationProblem): void;
  onSynced?(source: string): void;
}

export interface ObjectSet {
  imports: ReadonlyMap<string, ServiceImport>;
  slices: ReadonlyMap<string, EndpointSlice>;
  clusterProperties: ReadonlyMap<string, ClusterProperty>;
  /**
   * The slices again, grouped by `namespace/serviceName` (keyed by objectKey inside a group).
   * Optional: without it a builder groups `slices` itself, which costs a walk over all of them.
   */
  slicesByService?: ReadonlyMap<string, ReadonlyMap<string, EndpointSlice>>;
}

type KindMap = {
  ServiceImport: Map<string, ServiceImport>;
  EndpointSlice: Map<string, EndpointSlice>;
  ClusterProperty: Map<string, ClusterProperty>;
};

export class ObjectStore {
  private readonly maps: KindMap = {
    ServiceImport: new Map(),
    EndpointSlice: new Map(),
    ClusterProperty: new Map(),
  };
  private readonly sliceGroups = new Map<string, Map<string, EndpointSlice>>();
  private readonly sources = new Map<string, { synced: boolean }>();
  private listener: StoreListener | undefined;

  setListener(listener: StoreListener): void {
    this.listener = listener;
  }

  /** Register a source by name; the store is synced once every registered source is. */
  sink(source: string): ObjectSink {
    if (this.sources.has(source)) throw new Error(`source ${source} registered twice`);
    const state = { synced: false };
    this.sources.set(source, state);
    return {
      upsert: (object) => {
        const change = new ChangeSet();
        const key = objectKey(object);
        const map = this.mapOf(object.kind);
        map.set(key, this.updated(key, map.get(key), object, change));
        this.changed(change);
      },
      remove: (ref) => {
        const key = objectKey(ref);
        const map = this.mapOf(ref.kind);
        const old = map.get(key);
        if (old === undefined) return;
        map.delete(key);
        const change = new ChangeSet();
        this.removed(key, old, change);
        this.changed(change);
      },
      replace: (kind, objects) => {
        const change = new ChangeSet();
        const map = this.mapOf(kind);
        if (!this.replaceInPlace(map, objects, change)) this.replaceAll(map, kind, objects, change);
        this.changed(change);
      },
      reject: (problem) => this.listener?.onReject?.(source, problem),
      markSynced: () => {
        if (state.synced) return;
        state.synced = true;
        this.listener?.onSynced?.(source);
        this.changed(new ChangeSet());
      },
    };
  }

  /** True once every registered source has synced at least once (and stays true). */
  get synced(): boolean {
    if (this.sources.size === 0) return false;
    for (const state of this.sources.values()) if (!state.synced) return false;
    return true;
  }

  /** Names of sources that have not synced yet, for /ready's reason. */
  unsyncedSources(): string[] {
    return [...this.sources].filter(([, s]) => !s.synced).map(([name]) => name);
  }

  get objects(): ObjectSet {
    return {
      imports: this.maps.ServiceImport,
      slices: this.maps.EndpointSlice,
      clusterProperties: this.maps.ClusterProperty,
      slicesByService: this.sliceGroups,
    };
  }

  /**
   * Replace the objects of `map` by `objects` when these are for the same keys in the same
   * order, as after a file re-read or a relist that changed a few objects: only the entries
   * whose instance differs are compared and set (a few, where a full replace re-keys all 40k
   * at 10k services). Returns false, having changed nothing, when the keys differ.
   */
  private replaceInPlace(
    map: Map<string, ClusterObject>,
    objects: readonly ClusterObject[],
    change: ChangeSet,
  ): boolean {
    if (objects.length !== map.size) return false;
    const differing: { key: string; object: ClusterObject }[] = [];
    let index = 0;
    for (const [key, old] of map) {
      const object = objects[index++] as ClusterObject;
      if (object === old) continue;
      if (object.kind !== old.kind || objectKey(object) !== key) return false;
      differing.push({ key, object });
    }
    // Setting an existing key keeps its place, so the order stays that of `objects`.
    for (const { key, object } of differing)
      map.set(key, this.updated(key, map.get(key), object, change));
    return true;
  }

  private replaceAll(
    map: Map<string, ClusterObject>,
    kind: ObjectKind,
    objects: readonly ClusterObject[],
    change: ChangeSet,
  ): void {
    // The map keeps its identity (readers hold it) and takes the order of `objects`.
    const previous = new Map(map);
    map.clear();
    for (const object of objects) {
      if (object.kind !== kind) continue;
      const key = objectKey(object);
      // A key listed twice: the later object replaces the earlier one, as it always did.
      const old = map.get(key) ?? previous.get(key);
      map.set(key, this.updated(key, old, object, change));
      previous.delete(key);
    }
    for (const [key, old] of previous) this.removed(key, old, change);
  }

  /**
   * The instance to store under `key` now that `object` arrived: the old one when equal in
   * content (nothing changed), else `object`, with the change noted and the slice index updated.
   */
  private updated(
    key: string,
    old: ClusterObject | undefined,
    object: ClusterObject,
    change: ChangeSet,
  ): ClusterObject {
    if (old !== undefined) {
      if (sameData(old, object)) return old;
      this.removed(key, old, change);
    }
    change.note(object);
    if (object.kind === "EndpointSlice") {
      const group = serviceKeyOf(object);
      const slices = this.sliceGroups.get(group);
      if (slices === undefined) this.sliceGroups.set(group, new Map([[key, object]]));
      else slices.set(key, object);
    }
    return object;
  }

  /** `old`, stored under `key`, is gone (or replaced): note it and drop it from the index. */
  private removed(key: string, old: ClusterObject, change: ChangeSet): void {
    change.note(old);
    if (old.kind === "EndpointSlice") {
      const group = serviceKeyOf(old);
      const slices = this.sliceGroups.get(group);
      slices?.delete(key);
      if (slices?.size === 0) this.sliceGroups.delete(group);
    }
  }

  /** The kind's map, typed loosely: callers only put objects of that kind into it. */
  private mapOf(kind: ObjectKind): Map<string, ClusterObject> {
    const map: Map<string, ClusterObject> = this.maps[kind];
    return map;
  }

  private changed(change: StoreChange): void {
    this.listener?.onChange(change);
  }
}

/** `namespace/name` of the ServiceImport an object belongs to (see snapshot.ts serviceKey). */
function serviceKeyOf(object: ServiceImport | EndpointSlice): string {
  return `${object.namespace}/${object.kind === "EndpointSlice" ? object.serviceName : object.name}`;
}

class ChangeSet implements StoreChange {
  readonly services = new Set<string>();
  clusterProperties = false;

  note(object: ClusterObject): void {
    if (object.kind === "ClusterProperty") this.clusterProperties = true;
    else this.services.add(serviceKeyOf(object));
  }
}

/**
 * Deep equality of two validated objects (plain data: strings, numbers, booleans, undefined,
 * arrays, plain objects). Bounded by the objects' own size, which validation bounds.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(right, key) || !sameData(left[key], right[key])) return false;
  }
  return true;
}
