// The services of a snapshot by route ("S.N"), shared between snapshots. Snapshots are
// immutable, so a change to one service used to copy the whole map first: at 10k services
// that copy was ~3 ms and ~0.5 MB of garbage per update (a large object, promoted by every
// scavenge that found it current), most of what an update cost and most of the memory that
// 25 updates a second left behind.
//
// A table is a frozen base Map plus a small overlay of what changed since. An edit copies the
// overlay only, and folds it into a new base once it holds more than OVERLAY_LIMIT keys, so a
// change costs O(OVERLAY_LIMIT) plus an amortized O(N / OVERLAY_LIMIT). Iteration order is
// exactly a Map's under the same sets and deletes: a key set again keeps its place, a new key
// (or one deleted and set again) comes last.

/** Past this many changed keys an edit folds the overlay into a new base. */
const OVERLAY_LIMIT = 256;

const GONE = Symbol("gone");

/**
 * A changed key: its value, and whether it sits at the end (a key the base lacks, or one the
 * base has that was deleted and set again) or at the base's place for it.
 */
type Slot<V> = { readonly value: V; readonly atEnd: boolean } | typeof GONE;

/** What a snapshot reads: lookups and a walk in order. */
export interface RouteLookup<V> {
  get(key: string): V | undefined;
  values(): IterableIterator<V>;
}

function lookup<V>(
  base: ReadonlyMap<string, V>,
  overlay: ReadonlyMap<string, Slot<V>>,
  key: string,
): V | undefined {
  const slot = overlay.get(key);
  if (slot === undefined) return base.get(key);
  return slot === GONE ? undefined : slot.value;
}

function* walk<V>(
  base: ReadonlyMap<string, V>,
  overlay: ReadonlyMap<string, Slot<V>>,
): IterableIterator<[string, V]> {
  for (const entry of base) {
    const slot = overlay.get(entry[0]);
    if (slot === undefined) yield entry;
    else if (slot !== GONE && !slot.atEnd) yield [entry[0], slot.value];
  }
  for (const [key, slot] of overlay) if (slot !== GONE && slot.atEnd) yield [key, slot.value];
}

export class RouteTable<V> implements RouteLookup<V> {
  /** `overlayLimit`: tests fold often with a small one. */
  static empty<V>(overlayLimit = OVERLAY_LIMIT): RouteTable<V> {
    return new RouteTable<V>(new Map(), new Map(), 0, overlayLimit);
  }

  constructor(
    private readonly base: ReadonlyMap<string, V>,
    private readonly overlay: ReadonlyMap<string, Slot<V>>,
    readonly size: number,
    private readonly overlayLimit: number,
  ) {}

  get(key: string): V | undefined {
    return lookup(this.base, this.overlay, key);
  }

  entries(): IterableIterator<[string, V]> {
    return walk(this.base, this.overlay);
  }

  *values(): IterableIterator<V> {
    for (const [, value] of walk(this.base, this.overlay)) yield value;
  }

  /** A draft to change; this table stays as it is. */
  edit(): RouteTableDraft<V> {
    return new RouteTableDraft(this.base, new Map(this.overlay), this.size, this.overlayLimit);
  }
}

export class RouteTableDraft<V> {
  constructor(
    private readonly base: ReadonlyMap<string, V>,
    private readonly overlay: Map<string, Slot<V>>,
    private size: number,
    private readonly overlayLimit: number,
  ) {}

  get(key: string): V | undefined {
    return lookup(this.base, this.overlay, key);
  }

  set(key: string, value: V): void {
    const slot = this.overlay.get(key);
    if (slot === undefined) {
      const inBase = this.base.has(key);
      if (!inBase) this.size++;
      this.overlay.set(key, { value, atEnd: !inBase });
    } else if (slot === GONE) {
      // As a Map would: deleted, then set again, the key comes last.
      this.overlay.delete(key);
      this.overlay.set(key, { value, atEnd: true });
      this.size++;
    } else {
      this.overlay.set(key, { value, atEnd: slot.atEnd });
    }
  }

  delete(key: string): void {
    const slot = this.overlay.get(key);
    if (slot === GONE || (slot === undefined && !this.base.has(key))) return;
    this.size--;
    if (this.base.has(key)) this.overlay.set(key, GONE);
    else this.overlay.delete(key);
  }

  /** The table as edited; the draft must not be used after. */
  done(): RouteTable<V> {
    const { base, overlay, size, overlayLimit } = this;
    if (overlay.size <= overlayLimit) return new RouteTable(base, overlay, size, overlayLimit);
    return new RouteTable(new Map(walk(base, overlay)), new Map(), size, overlayLimit);
  }
}
