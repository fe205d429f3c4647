// Prometheus metrics, modelled on CoreDNS's (plugin/metrics) so its dashboards and alerts
// carry over with the prefix changed from `coredns_` to `clusterset_dns_`:
//   requests_total{proto,family,type}   responses_total{rcode}   dropped_total{proto,reason}
//   request_duration_seconds{type}      request_size_bytes{proto} response_size_bytes{proto}
// `family` is "1" (IPv4) or "2" (IPv6) and `type` folds rare types into "other", as CoreDNS does.
//
// The per-query path does not go through prom-client: its `inc`/`observe` hash and validate the
// label object on every call. Instead each label combination owns a plain cell, resolved once
// and then found by array index, and the cells are turned into exposition values at scrape time.

import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type Metric,
} from "prom-client";
import { RRType, Rcode } from "../wire/types.js";

export type Proto = "udp" | "tcp";

const PREFIX = "clusterset_dns_";

/** CoreDNS's request duration buckets: 0.25 ms × 2^k, k = 0..15. */
export const DURATION_BUCKETS: readonly number[] = Array.from(
  { length: 16 },
  (_, k) => 0.00025 * 2 ** k,
);
/** CoreDNS's request and response size buckets, in bytes. */
export const SIZE_BUCKETS: readonly number[] = [
  0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3,
];
const SNAPSHOT_BUCKETS: readonly number[] = Array.from({ length: 15 }, (_, k) => 0.001 * 2 ** k);

/** Types that get their own `type` label value; the rest are "other" (CoreDNS's list plus SVCB/HTTPS, which modern stub resolvers send on every lookup). */
const MONITORED_TYPES: ReadonlyArray<readonly [string, number]> = [
  ["A", RRType.A],
  ["AAAA", RRType.AAAA],
  ["ANY", RRType.ANY],
  ["AXFR", RRType.AXFR],
  ["CNAME", RRType.CNAME],
  ["DNSKEY", 48],
  ["DS", 43],
  ["HINFO", RRType.HINFO],
  ["HTTPS", 65],
  ["IXFR", RRType.IXFR],
  ["MX", 15],
  ["NAPTR", 35],
  ["NS", RRType.NS],
  ["NSEC", 47],
  ["NSEC3", 50],
  ["OPT", RRType.OPT],
  ["PTR", RRType.PTR],
  ["RRSIG", 46],
  ["SOA", RRType.SOA],
  ["SRV", RRType.SRV],
  ["SVCB", 64],
  ["TXT", RRType.TXT],
];
const TYPE_LABELS: readonly string[] = [...MONITORED_TYPES.map(([name]) => name), "other"];
const OTHER_TYPE_INDEX = MONITORED_TYPES.length;
/** qtype → index into TYPE_LABELS; a flat table so the hot path is one load. */
const TYPE_INDEX = (() => {
  const table = new Uint8Array(65536).fill(OTHER_TYPE_INDEX);
  MONITORED_TYPES.forEach(([, code], index) => (table[code] = index));
  return table;
})();

const RCODE_NAMES = new Map<number, string>([
  [Rcode.NOERROR, "NOERROR"],
  [Rcode.FORMERR, "FORMERR"],
  [Rcode.SERVFAIL, "SERVFAIL"],
  [Rcode.NXDOMAIN, "NXDOMAIN"],
  [Rcode.NOTIMP, "NOTIMP"],
  [Rcode.REFUSED, "REFUSED"],
  [6, "YXDOMAIN"],
  [7, "YXRRSET"],
  [8, "NXRRSET"],
  [9, "NOTAUTH"],
  [10, "NOTZONE"],
  [Rcode.BADVERS, "BADVERS"],
  [23, "BADCOOKIE"],
]);
/** Extended rcodes are 12 bits. */
const RCODE_SPACE = 4096;

export function typeLabel(qtype: number): string {
  return TYPE_LABELS[TYPE_INDEX[qtype & 0xffff] ?? OTHER_TYPE_INDEX] ?? "other";
}

export function rcodeLabel(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? String(rcode);
}

type Labels = Record<string, string>;
type FamilyType = "counter" | "histogram";

interface ExpositionValue {
  value: number;
  labels: Labels;
  metricName?: string;
}

/**
 * What prom-client's Registry needs from a metric (name, help, type, aggregator, get, reset);
 * our cell families implement it so they can sit in the same registry as prom-client's own.
 */
abstract class CellFamily<Cell> {
  readonly aggregator = "sum";
  protected readonly cells = new Map<string, { labels: Labels; cell: Cell }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: FamilyType,
    private readonly labelNames: readonly string[],
    /** Past this many label combinations, new combinations share one "other" cell. */
    private readonly maxCells: number,
  ) {}

  /** The cell for these label values (in `labelNames` order); callers keep it and update it directly. */
  cell(labelValues: readonly string[]): Cell {
    const key = labelValues.join("\u0000");
    const found = this.cells.get(key);
    if (found !== undefined) return found.cell;
    if (this.cells.size >= this.maxCells) return this.overflowCell();
    return this.addCell(key, labelValues);
  }

  /** The shared cell (every label "other") for combinations past the cap; one beyond `maxCells`. */
  private overflowCell(): Cell {
    const values = this.labelNames.map(() => "other");
    const key = values.join("\u0000");
    return this.cells.get(key)?.cell ?? this.addCell(key, values);
  }

  private addCell(key: string, labelValues: readonly string[]): Cell {
    const labels: Labels = {};
    this.labelNames.forEach(
      (labelName, i) => (labels[labelName] = boundedLabelValue(labelValues[i] ?? "")),
    );
    const cell = this.newCell();
    this.cells.set(key, { labels, cell });
    return cell;
  }

  protected abstract newCell(): Cell;
  protected abstract values(): ExpositionValue[];

  get(): Promise<{
    name: string;
    help: string;
    type: FamilyType;
    aggregator: string;
    values: ExpositionValue[];
  }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.values(),
    });
  }

  reset(): void {
    this.cells.clear();
  }

  registerOn(registry: Registry): void {
    // The registry's declared type lists only prom-client's classes; at run time it accepts
    // anything with the members above (see prom-client lib/registry.js).
    registry.registerMetric(this as unknown as Metric);
  }
}

export class CounterCell {
  value = 0;
}

class CounterCells extends CellFamily<CounterCell> {
  constructor(name: string, help: string, labelNames: readonly string[], maxCells: number) {
    super(name, help, "counter", labelNames, maxCells);
  }

  protected newCell(): CounterCell {
    return new CounterCell();
  }

  protected values(): ExpositionValue[] {
    return [...this.cells.values()].map(({ labels, cell }) => ({ labels, value: cell.value }));
  }
}

export class HistogramCell {
  /** Non-cumulative counts; the last slot is the +Inf overflow. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    // Everything we measure is a size or a duration; a NaN or negative input (a clock step)
    // would otherwise poison the sum for the life of the process.
    if (!(value >= 0)) value = 0;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

class HistogramCells extends CellFamily<HistogramCell> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
    maxCells: number,
  ) {
    super(name, help, "histogram", labelNames, maxCells);
  }

  protected newCell(): HistogramCell {
    return new HistogramCell(this.bounds);
  }

  protected values(): ExpositionValue[] {
    const out: ExpositionValue[] = [];
    for (const { labels, cell } of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cell.counts[i] ?? 0;
        out.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: String(bound) },
          value: cumulative,
        });
      });
      out.push({
        metricName: `${this.name}_bucket`,
        labels: { ...labels, le: "+Inf" },
        value: cell.count,
      });
      out.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    }
    return out;
  }
}

const MAX_LABEL_LENGTH = 64;

/** Label values come partly from outside (reasons, resource names): keep them short. */
function boundedLabelValue(value: string): string {
  return value.length <= MAX_LABEL_LENGTH ? value : value.slice(0, MAX_LABEL_LENGTH);
}

/**
 * Caps the distinct label combinations of a prom-client metric; the rest are counted under
 * "other" so a stream of odd reasons cannot grow the scrape without bound.
 */
class LabelGuard {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  labels<T extends Labels>(labels: T): T {
    const bounded = {} as Labels;
    for (const [k, v] of Object.entries(labels)) bounded[k] = boundedLabelValue(v);
    const key = Object.values(bounded).join("\u0000");
    if (this.seen.has(key)) return bounded as T;
    if (this.seen.size < this.max) {
      this.seen.add(key);
      return bounded as T;
    }
    const other = {} as Labels;
    for (const k of Object.keys(labels)) other[k] = "other";
    return other as T;
  }
}

export interface CacheMetrics {
  hit(): void;
  miss(): void;
  eviction(): void;
  setEntries(n: number): void;
  setBytes(n: number): void;
}

export interface KubeMetrics {
  event(resource: string, type: string): void;
  relist(resource: string): void;
  watchRestart(resource: string, reason: string): void;
  watchError(resource: string): void;
  synced(resource: string, at: Date): void;
  handlerError(resource: string): void;
  setObjects(resource: string, n: number): void;
  setApiReachable(up: boolean): void;
}

const PROTO_INDEX = { udp: 0, tcp: 1 } as const;
const PROTOS: readonly Proto[] = ["udp", "tcp"];

export class Metrics {
  readonly registry: Registry;
  readonly cache: CacheMetrics;
  readonly kube: KubeMetrics;

  // Per-query families and their pre-resolved cells (filled on first use so the scrape lists
  // only label combinations that occurred, like prom-client and CoreDNS do).
  private readonly requests: CounterCells;
  private readonly responses: CounterCells;
  private readonly dropCounts: CounterCells;
  private readonly duration: HistogramCells;
  private readonly requestSize: HistogramCells;
  private readonly responseSize: HistogramCells;
  /** [(proto * 2 + family) * types + type] */
  private readonly requestCells: (CounterCell | undefined)[];
  private readonly responseCells: (CounterCell | undefined)[] = new Array<CounterCell | undefined>(
    RCODE_SPACE,
  );
  private readonly durationCells: (HistogramCell | undefined)[] = new Array<
    HistogramCell | undefined
  >(TYPE_LABELS.length);
  private readonly requestSizeCells: (HistogramCell | undefined)[] = [undefined, undefined];
  private readonly responseSizeCells: (HistogramCell | undefined)[] = [undefined, undefined];
  private readonly dropCells = new Map<string, CounterCell>();

  private readonly rejectedObjects: Counter<"kind" | "reason">;
  private readonly rejectedGuard = new LabelGuard(100);
  private readonly snapshotBuilds: Counter;
  private readonly snapshotDuration: Histogram;
  /** Read by gauges at scrape time, so setting them costs nothing. */
  private readonly state = { snapshotNames: 0, snapshotGeneration: 0, ready: false };

  constructor(options: { version: string; collectDefault?: boolean }) {
    const registry = new Registry();
    this.registry = registry;
    const registers = [registry];

    if (options.collectDefault ?? true) {
      // Unprefixed process_* and nodejs_* series, as CoreDNS exposes process_* and go_*.
      collectDefaultMetrics({ register: registry });
    }

    new Gauge({
      name: `${PREFIX}build_info`,
      help: "A metric with a constant '1' value labeled by the version of clusterset-dns and of Node.js.",
      labelNames: ["version", "node_version"],
      registers,
    }).set({ version: options.version, node_version: process.version }, 1);

    this.requests = new CounterCells(
      `${PREFIX}dns_requests_total`,
      "Counter of DNS requests by transport protocol, address family (1 = IPv4, 2 = IPv6) and query type.",
      ["proto", "family", "type"],
      PROTOS.length * 2 * TYPE_LABELS.length,
    );
    this.responses = new CounterCells(
      `${PREFIX}dns_responses_total`,
      "Counter of DNS responses by response code.",
      ["rcode"],
      64,
    );
    this.dropCounts = new CounterCells(
      `${PREFIX}dns_dropped_total`,
      "Counter of DNS packets that got no reply, by transport protocol and reason.",
      ["proto", "reason"],
      64,
    );
    this.duration = new HistogramCells(
      `${PREFIX}dns_request_duration_seconds`,
      "Histogram of the time (in seconds) each request took, by query type.",
      ["type"],
      DURATION_BUCKETS,
      TYPE_LABELS.length,
    );
    this.requestSize = new HistogramCells(
      `${PREFIX}dns_request_size_bytes`,
      "Size of the request in bytes, by transport protocol.",
      ["proto"],
      SIZE_BUCKETS,
      PROTOS.length,
    );
    this.responseSize = new HistogramCells(
      `${PREFIX}dns_response_size_bytes`,
      "Size of the returned response in bytes, by transport protocol.",
      ["proto"],
      SIZE_BUCKETS,
      PROTOS.length,
    );
    for (const family of [this.requests, this.responses, this.dropCounts])
      family.registerOn(registry);
    for (const family of [this.duration, this.requestSize, this.responseSize])
      family.registerOn(registry);
    this.requestCells = new Array<CounterCell | undefined>(PROTOS.length * 2 * TYPE_LABELS.length);

    this.cache = this.createCacheMetrics(registers);
    this.kube = this.createKubeMetrics(registers);

    this.rejectedObjects = new Counter({
      name: `${PREFIX}rejected_objects_total`,
      help: "Objects (or parts of objects) skipped as malformed, by kind and reason.",
      labelNames: ["kind", "reason"],
      registers,
    });
    this.snapshotBuilds = new Counter({
      name: `${PREFIX}snapshot_builds_total`,
      help: "Number of zone snapshots built.",
      registers,
    });
    this.snapshotDuration = new Histogram({
      name: `${PREFIX}snapshot_build_duration_seconds`,
      help: "Time (in seconds) to build a zone snapshot.",
      buckets: [...SNAPSHOT_BUCKETS],
      registers,
    });
    const state = this.state;
    new Gauge({
      name: `${PREFIX}snapshot_names`,
      help: "Number of owner names in the current zone snapshot.",
      registers,
      collect() {
        this.set(state.snapshotNames);
      },
    });
    new Gauge({
      name: `${PREFIX}snapshot_generation`,
      help: "Generation of the current zone snapshot; grows with every rebuild.",
      registers,
      collect() {
        this.set(state.snapshotGeneration);
      },
    });
    new Gauge({
      name: `${PREFIX}ready`,
      help: "1 when the server is ready to serve (every source synced and not shutting down), else 0.",
      registers,
      collect() {
        this.set(state.ready ? 1 : 0);
      },
    });
  }

  /**
   * Record one DNS packet. `rcode` -1 or `responseBytes` 0 means no reply was sent: the
   * request is counted but no response (count the reason with `dropped`).
   */
  observeQuery(
    proto: Proto,
    family: 4 | 6,
    qtype: number,
    rcode: number,
    requestBytes: number,
    responseBytes: number,
    durationSeconds: number,
  ): void {
    const protoIndex = PROTO_INDEX[proto];
    const typeIndex = TYPE_INDEX[qtype & 0xffff] ?? OTHER_TYPE_INDEX;
    const requestIndex = (protoIndex * 2 + (family === 6 ? 1 : 0)) * TYPE_LABELS.length + typeIndex;
    (this.requestCells[requestIndex] ?? this.resolveRequestCell(requestIndex)).value += 1;
    (this.durationCells[typeIndex] ?? this.resolveDurationCell(typeIndex)).observe(durationSeconds);
    (
      this.requestSizeCells[protoIndex] ??
      this.resolveSizeCell(this.requestSize, this.requestSizeCells, protoIndex)
    ).observe(requestBytes);
    if (rcode < 0 || responseBytes <= 0) return;
    const rcodeIndex = rcode & (RCODE_SPACE - 1);
    (this.responseCells[rcodeIndex] ?? this.resolveResponseCell(rcodeIndex)).value += 1;
    (
      this.responseSizeCells[protoIndex] ??
      this.resolveSizeCell(this.responseSize, this.responseSizeCells, protoIndex)
    ).observe(responseBytes);
  }

  /** A packet that got no reply (too short, a response, over a limit ...). `reason` is a short code. */
  dropped(proto: Proto, reason: string): void {
    const key = proto + reason;
    let cell = this.dropCells.get(key);
    if (cell === undefined) {
      cell = this.dropCounts.cell([proto, reason]);
      // Past the cap the family hands out one shared cell; do not let the map grow either.
      if (this.dropCells.size < 256) this.dropCells.set(key, cell);
    }
    cell.value += 1;
  }

  /** An object (or part of one) skipped as malformed. `reason` should be a short code. */
  rejected(kind: string, reason: string): void {
    this.rejectedObjects.inc(this.rejectedGuard.labels({ kind, reason }));
  }

  snapshotBuilt(durationSeconds: number, names: number, generation: number): void {
    this.snapshotBuilds.inc();
    this.snapshotDuration.observe(durationSeconds);
    this.state.snapshotNames = names;
    this.state.snapshotGeneration = generation;
  }

  setReady(ready: boolean): void {
    this.state.ready = ready;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private resolveRequestCell(index: number): CounterCell {
    const typeCount = TYPE_LABELS.length;
    const protoFamily = Math.floor(index / typeCount);
    const proto = PROTOS[protoFamily >> 1] ?? "udp";
    const family = (protoFamily & 1) === 1 ? "2" : "1";
    const cell = this.requests.cell([proto, family, TYPE_LABELS[index % typeCount] ?? "other"]);
    this.requestCells[index] = cell;
    return cell;
  }

  private resolveResponseCell(rcode: number): CounterCell {
    const cell = this.responses.cell([rcodeLabel(rcode)]);
    this.responseCells[rcode] = cell;
    return cell;
  }

  private resolveDurationCell(typeIndex: number): HistogramCell {
    const cell = this.duration.cell([TYPE_LABELS[typeIndex] ?? "other"]);
    this.durationCells[typeIndex] = cell;
    return cell;
  }

  private resolveSizeCell(
    family: HistogramCells,
    cells: (HistogramCell | undefined)[],
    protoIndex: number,
  ): HistogramCell {
    const cell = family.cell([PROTOS[protoIndex] ?? "udp"]);
    cells[protoIndex] = cell;
    return cell;
  }

  private createCacheMetrics(registers: Registry[]): CacheMetrics {
    const hits = new Counter({
      name: `${PREFIX}cache_hits_total`,
      help: "The count of answer cache hits.",
      registers,
    });
    const misses = new Counter({
      name: `${PREFIX}cache_misses_total`,
      help: "The count of answer cache misses.",
      registers,
    });
    const evictions = new Counter({
      name: `${PREFIX}cache_evictions_total`,
      help: "The count of answer cache evictions.",
      registers,
    });
    const state = { entries: 0, bytes: 0 };
    new Gauge({
      name: `${PREFIX}cache_entries`,
      help: "The number of elements in the answer cache.",
      registers,
      collect() {
        this.set(state.entries);
      },
    });
    new Gauge({
      name: `${PREFIX}cache_size_bytes`,
      help: "The memory the answer cache takes in bytes: replies, keys and a measured per-entry overhead.",
      registers,
      collect() {
        this.set(state.bytes);
      },
    });
    return {
      hit: () => hits.inc(),
      miss: () => misses.inc(),
      eviction: () => evictions.inc(),
      setEntries: (n) => (state.entries = n),
      setBytes: (n) => (state.bytes = n),
    };
  }

  private createKubeMetrics(registers: Registry[]): KubeMetrics {
    const guard = (max: number) => new LabelGuard(max);
    const eventsGuard = guard(50);
    const resourceGuard = guard(20);
    const restartGuard = guard(50);
    const events = new Counter({
      name: `${PREFIX}kube_events_total`,
      help: "Watch events received from the Kubernetes API, by resource and event type.",
      labelNames: ["resource", "type"],
      registers,
    });
    const relists = new Counter({
      name: `${PREFIX}kube_relists_total`,
      help: "Full LISTs of a resource (initial and after a watch could not resume).",
      labelNames: ["resource"],
      registers,
    });
    const watchRestarts = new Counter({
      name: `${PREFIX}kube_watch_restarts_total`,
      help: "Watches restarted, by resource and reason.",
      labelNames: ["resource", "reason"],
      registers,
    });
    const watchErrors = new Counter({
      name: `${PREFIX}kube_watch_errors_total`,
      help: "Errors from list or watch requests, by resource.",
      labelNames: ["resource"],
      registers,
    });
    const handlerErrors = new Counter({
      name: `${PREFIX}kube_handler_errors_total`,
      help: "Errors while handling a watch event, by resource.",
      labelNames: ["resource"],
      registers,
    });
    const lastSync = new Gauge({
      name: `${PREFIX}kube_last_sync_timestamp_seconds`,
      help: "Unix time of the last successful list (or watch resync) of a resource.",
      labelNames: ["resource"],
      registers,
    });
    const objects = new Gauge({
      name: `${PREFIX}kube_objects`,
      help: "Objects of a resource currently held.",
      labelNames: ["resource"],
      registers,
    });
    // Registered on first use: with the file source there is no API, and a constant 0 would
    // read as "API down" to an alert.
    const reachable = new Gauge({
      name: `${PREFIX}kube_api_reachable`,
      help: "1 when the last request to the Kubernetes API succeeded, else 0.",
      registers: [],
    });
    let reachableRegistered = false;
    const setReachable = (up: boolean): void => {
      if (!reachableRegistered) {
        for (const registry of registers) registry.registerMetric(reachable);
        reachableRegistered = true;
      }
      reachable.set(up ? 1 : 0);
    };
    return {
      event: (resource, type) => events.inc(eventsGuard.labels({ resource, type })),
      relist: (resource) => relists.inc(resourceGuard.labels({ resource })),
      watchRestart: (resource, reason) =>
        watchRestarts.inc(restartGuard.labels({ resource, reason })),
      watchError: (resource) => watchErrors.inc(resourceGuard.labels({ resource })),
      synced: (resource, at) =>
        lastSync.set(resourceGuard.labels({ resource }), at.getTime() / 1000),
      handlerError: (resource) => handlerErrors.inc(resourceGuard.labels({ resource })),
      setObjects: (resource, n) => objects.set(resourceGuard.labels({ resource }), n),
      setApiReachable: setReachable,
    };
  }
}
