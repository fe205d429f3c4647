// Turns store changes into published snapshots. Bursts of events (a LIST, a rollout touching
// thousands of slices) coalesce into one rebuild: the first change arms a short timer, later
// changes push it back, but never past maxDelayMs after the first, so an update is visible
// within ~maxDelayMs + build time. Publishing is a single reference swap, and the resolver
// reads `current` once per query, so no answer mixes two snapshots.
//
// The store says which services each change touched; the publisher collects them until the
// rebuild, and the ZoneBuilder recomputes only those (the first build, and any build after a
// failed one, looks at everything).

import type { ObjectStore, StoreChange, StoreListener } from "../source/store.js";
import type { ValidationProblem } from "./types.js";
import { ZoneBuilder, type Snapshot, type ZoneOptions } from "./snapshot.js";

/** More changed services than this since the last build: rebuild everything, skip the set. */
const MAX_TRACKED_CHANGES = 100_000;

export interface PublisherOptions {
  zone: Omit<ZoneOptions, "localClusterId">;
  /** From --cluster-id; wins over the ClusterProperty. */
  clusterId?: string | undefined;
  quietMs?: number;
  maxDelayMs?: number;
  onBuilt?: (snapshot: Snapshot, seconds: number) => void;
  onBuildError?: (error: unknown) => void;
  onReject?: (source: string, problem: ValidationProblem) => void;
  onSynced?: (source: string) => void;
  now?: () => number;
}

export class SnapshotPublisher implements StoreListener {
  private snapshot: Snapshot | undefined;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private readonly quietMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;
  private readonly builder = new ZoneBuilder();
  /** Services changed since the last build; undefined: rebuild everything. */
  private pending: Set<string> | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: PublisherOptions,
  ) {
    this.quietMs = options.quietMs ?? 10;
    this.maxDelayMs = options.maxDelayMs ?? 50;
    this.now = options.now ?? Date.now;
    store.setListener(this);
  }

  /** The snapshot queries read; undefined until every source has synced once. */
  get current(): Snapshot | undefined {
    return this.snapshot;
  }

  onChange(change?: StoreChange): void {
    this.collect(change);
    if (!this.store.synced) return;
    // The first complete view is published at once: until then every query is SERVFAIL.
    if (this.snapshot === undefined) {
      this.rebuild();
      return;
    }
    const now = this.now();
    if (this.timer === undefined) this.firstPendingAt = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.quietMs, this.firstPendingAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => this.rebuild(), wait);
  }

  private collect(change: StoreChange | undefined): void {
    // Before the first snapshot everything is pending anyway.
    if (this.pending === undefined) return;
    if (change === undefined || this.pending.size + change.services.size > MAX_TRACKED_CHANGES) {
      this.pending = undefined;
      return;
    }
    for (const key of change.services) this.pending.add(key);
  }

  onReject(source: string, problem: ValidationProblem): void {
    this.options.onReject?.(source, problem);
  }

  onSynced(source: string): void {
    this.options.onSynced?.(source);
  }

  /** Build and publish now (also used by tests and shutdown paths). */
  rebuild(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const started = process.hrtime.bigint();
    try {
      const previousSerial = this.snapshot?.serial ?? 0;
      // Serial: seconds since the epoch keep it growing across restarts; +1 keeps it growing
      // when two builds land in the same second (RFC 1982 arithmetic is not needed before 2106).
      const serial = Math.max(previousSerial + 1, Math.floor(this.now() / 1000)) >>> 0;
      const changed = this.pending;
      this.pending = new Set();
      const next = this.builder.build(
        this.store.objects,
        // The builder falls back to the ClusterProperty when no --cluster-id was given.
        { ...this.options.zone, localClusterId: this.options.clusterId },
        changed,
        serial,
        ++this.generation,
      );
      this.snapshot = next;
      this.options.onBuilt?.(next, Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      // The changes of a failed build are lost track of: the next build looks at everything.
      this.pending = undefined;
      // Keep serving the last good snapshot; a bug in the build must not take DNS down.
      this.options.onBuildError?.(error);
    }
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
