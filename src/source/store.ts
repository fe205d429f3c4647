// The object store: the one place both sources write to. It keeps the current validated
// objects per kind, knows which sources have synced, and tells its listener that the data
// changed; the listener (the snapshot publisher) decides when to rebuild.

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

export interface StoreListener {
  onChange(): void;
  onReject?(source: string, problem: ValidationProblem): void;
  onSynced?(source: string): void;
}

export interface ObjectSet {
  imports: ReadonlyMap<string, ServiceImport>;
  slices: ReadonlyMap<string, EndpointSlice>;
  clusterProperties: ReadonlyMap<string, ClusterProperty>;
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
        this.mapOf(object.kind).set(objectKey(object), object);
        this.changed();
      },
      remove: (ref) => {
        if (this.mapOf(ref.kind).delete(objectKey(ref))) this.changed();
      },
      replace: (kind, objects) => {
        const map = this.mapOf(kind);
        map.clear();
        for (const object of objects) {
          if (object.kind === kind) map.set(objectKey(object), object);
        }
        this.changed();
      },
      reject: (problem) => this.listener?.onReject?.(source, problem),
      markSynced: () => {
        if (state.synced) return;
        state.synced = true;
        this.listener?.onSynced?.(source);
        this.changed();
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
    };
  }

  /** The kind's map, typed loosely: callers only put objects of that kind into it. */
  private mapOf(kind: ObjectKind): Map<string, ClusterObject> {
    const map: Map<string, ClusterObject> = this.maps[kind];
    return map;
  }

  private changed(): void {
    this.listener?.onChange();
  }
}
