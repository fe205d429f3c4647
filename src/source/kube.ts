// The Kubernetes API source: one list/watch loop per resource (ServiceImports, EndpointSlices,
// ClusterProperties) feeding the object store.
//
// Our own loop on client-node's Watch rather than makeInformer, because the informer stops for
// good on non-410 errors, asks for no bookmarks, sets no timeouts and dies when a handler
// throws. The loop per resource:
//
//   discover the version → LIST (replace the store's objects of that kind, mark synced)
//     → WATCH from the list's resourceVersion, every event and bookmark advancing it
//         ERROR 410 event or HTTP 410 → LIST again
//         clean end of the stream     → WATCH again from the last version
//         no line for watchIdleTimeoutMs → abort, WATCH again (idle watchdog)
//         anything else               → capped, jittered exponential backoff, then WATCH again
//
// Failures never empty the store: during an outage we keep serving the last good state (the
// objects are still what the cluster last told us) and log and count every failed attempt.

import { Watch, type KubeConfig } from "@kubernetes/client-node";
import {
  parseClusterProperty,
  parseEndpointSlice,
  parseServiceImport,
  SERVICE_NAME_LABEL,
} from "../zone/objects.js";
import type { ClusterObject, ObjectKind, ParseResult } from "../zone/types.js";
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from "./kube-backoff.js";
import { getJson, KubeApiError, statusCodeOf } from "./kube-http.js";
import type { ObjectSink, ObjectStore } from "./store.js";

export { loadKubeConfig } from "./kube-config.js";

export interface KubeSourceLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Why a watch was started again (label of the restart metric). */
export type WatchRestartReason = "expired" | "gone" | "closed" | "idle" | "error" | "handler";

/** Metric callbacks; all optional. A callback that throws is logged and otherwise ignored. */
export interface KubeSourceHooks {
  /** Every watch event, by type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR). */
  onEvent?(resource: string, type: string): void;
  /** A LIST after the first one of the resource (watch expired, HTTP 410, API changed). */
  onRelist?(resource: string): void;
  onWatchRestart?(resource: string, reason: WatchRestartReason): void;
  /** A discovery, LIST or WATCH attempt that failed and will be retried after a backoff. */
  onWatchError?(resource: string): void;
  /** A LIST completed (or the optional API was found not served); `at` is when. */
  onSynced?(resource: string, at: Date): void;
  /** Our own event handling threw; the object involved is dropped, the loop goes on. */
  onHandlerError?(resource: string): void;
  /** How many objects of the resource the source holds now. */
  onObjects?(resource: string, count: number): void;
  /** An object or part of one was skipped by validation (also reported to the store's sink). */
  onRejected?(resource: string): void;
}

export interface KubeSourceOptions {
  kubeConfig: KubeConfig;
  store: ObjectStore;
  log: KubeSourceLogger;
  /** Restart a watch that sent no event or bookmark for this long; default 120 000. */
  watchIdleTimeoutMs?: number;
  hooks?: KubeSourceHooks;
  /** For tests: jitter source (default Math.random). */
  random?: () => number;
  /** Retry delays; default 200 ms doubling to 30 s. */
  backoff?: BackoffOptions;
  /** Server-side watch timeout range in seconds, picked at random per watch; default 300..600. */
  watchTimeoutSeconds?: { min: number; max: number };
  /** How often to look again for an optional API that was not served; default 300 000. */
  optionalApiRecheckMs?: number;
  /** LIST page size (limit/continue); default 500. */
  listPageSize?: number;
  /** Socket inactivity limit for discovery and LIST requests; default 30 000. */
  requestTimeoutMs?: number;
}

export interface KubeSource {
  /** Resource names, also the suffix of each store sink ("kube:<resource>"). */
  readonly resources: string[];
  stop(): Promise<void>;
}

/** Where a resource is listed and watched, once discovery has chosen the version. */
interface ResourceTarget {
  /** e.g. /apis/discovery.k8s.io/v1/endpointslices (all namespaces). */
  path: string;
  apiVersion: string;
}

type Discovery = ResourceTarget | "not-served";

interface ResourceDef {
  name: string;
  kind: ObjectKind;
  /** A missing API is fine (logged once, synced with no objects) rather than retried as a failure. */
  optional: boolean;
  labelSelector: string | undefined;
  parse(raw: unknown): ParseResult<ClusterObject>;
  discover(get: (path: string) => Promise<unknown>): Promise<Discovery>;
}

const SERVICE_IMPORT_GROUP = "multicluster.x-k8s.io";
/** Preference order: v1beta1 when the cluster serves it, else v1alpha1. */
const SERVICE_IMPORT_VERSIONS = ["v1beta1", "v1alpha1"] as const;
const CLUSTER_PROPERTY_GROUP_VERSION = "about.k8s.io/v1beta1";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function arrayField(value: unknown, field: string): unknown[] {
  const items = isRecord(value) ? value[field] : undefined;
  return Array.isArray(items) ? (items as unknown[]) : [];
}

function servesResource(resourceList: unknown, plural: string): boolean {
  return arrayField(resourceList, "resources").some((r) => isRecord(r) && r.name === plural);
}

/** Undefined when the API group or version is not served (HTTP 404); other errors propagate. */
async function getUnlessNotFound(
  get: (path: string) => Promise<unknown>,
  path: string,
): Promise<unknown> {
  try {
    return await get(path);
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw error;
  }
}

async function discoverServiceImports(get: (path: string) => Promise<unknown>): Promise<Discovery> {
  const group = await getUnlessNotFound(get, `/apis/${SERVICE_IMPORT_GROUP}`);
  if (group === undefined) return "not-served";
  const served = new Set(
    arrayField(group, "versions").map((v) => (isRecord(v) ? v.version : undefined)),
  );
  for (const version of SERVICE_IMPORT_VERSIONS) {
    if (!served.has(version)) continue;
    const resources = await getUnlessNotFound(get, `/apis/${SERVICE_IMPORT_GROUP}/${version}`);
    if (resources !== undefined && servesResource(resources, "serviceimports")) {
      return {
        path: `/apis/${SERVICE_IMPORT_GROUP}/${version}/serviceimports`,
        apiVersion: `${SERVICE_IMPORT_GROUP}/${version}`,
      };
    }
  }
  return "not-served";
}

async function discoverClusterProperties(
  get: (path: string) => Promise<unknown>,
): Promise<Discovery> {
  const resources = await getUnlessNotFound(get, `/apis/${CLUSTER_PROPERTY_GROUP_VERSION}`);
  if (resources === undefined || !servesResource(resources, "clusterproperties"))
    return "not-served";
  return {
    path: `/apis/${CLUSTER_PROPERTY_GROUP_VERSION}/clusterproperties`,
    apiVersion: CLUSTER_PROPERTY_GROUP_VERSION,
  };
}

const RESOURCE_DEFS: readonly ResourceDef[] = [
  {
    name: "serviceimports",
    kind: "ServiceImport",
    optional: false,
    labelSelector: undefined,
    parse: parseServiceImport,
    discover: discoverServiceImports,
  },
  {
    name: "endpointslices",
    kind: "EndpointSlice",
    optional: false,
    // Only slices that belong to a multi-cluster service; the cluster's own slices can be many.
    labelSelector: SERVICE_NAME_LABEL,
    parse: parseEndpointSlice,
    // discovery.k8s.io/v1 is served by every Kubernetes version client-node 1.x supports.
    discover: () =>
      Promise.resolve({
        path: "/apis/discovery.k8s.io/v1/endpointslices",
        apiVersion: "discovery.k8s.io/v1",
      }),
  },
  {
    name: "clusterproperties",
    kind: "ClusterProperty",
    optional: true,
    labelSelector: undefined,
    parse: parseClusterProperty,
    discover: discoverClusterProperties,
  },
];

type WatchOutcome =
  | { kind: "relist"; reason: WatchRestartReason }
  | { kind: "rewatch"; reason: WatchRestartReason; lines: number; elapsedMs: number }
  | { kind: "error"; error: unknown }
  | { kind: "stopped" };

/** Shared by every loop of one source. */
interface LoopContext {
  kubeConfig: KubeConfig;
  watch: Watch;
  log: KubeSourceLogger;
  hooks: KubeSourceHooks;
  random: () => number;
  backoff: BackoffOptions;
  watchIdleTimeoutMs: number;
  watchTimeoutSeconds: { min: number; max: number };
  optionalApiRecheckMs: number;
  listPageSize: number;
  requestTimeoutMs: number;
  stopSignal: AbortSignal;
}

/** A watch that ends cleanly this soon without sending anything counts as a failure (no hot loop). */
const MIN_USEFUL_WATCH_MS = 1000;
/** LIST pages beyond this are a server bug (a continue token that never ends). */
const MAX_LIST_PAGES = 100_000;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function metadataOf(raw: unknown): Record<string, unknown> {
  return isRecord(raw) && isRecord(raw.metadata) ? raw.metadata : {};
}

function stringField(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}

class ResourceLoop {
  private target: ResourceTarget | undefined;
  private resourceVersion = "";
  private readonly backoff: Backoff;
  /** Bumped whenever a watch ends; callbacks carrying an older number are ignored. */
  private generation = 0;
  private stopCurrentWatch: (() => void) | undefined;
  private lists = 0;
  private notServedLogged = false;

  constructor(
    private readonly def: ResourceDef,
    private readonly sink: ObjectSink,
    private readonly ctx: LoopContext,
    /**
     * How many objects of this kind the store holds: this loop's, as one source feeds each kind
     * (counted there rather than in a set of keys of our own, which cost ~5 MiB at 40k objects).
     */
    private readonly held: () => number,
  ) {
    this.backoff = new Backoff(ctx.backoff, ctx.random);
  }

  private get stopped(): boolean {
    return this.ctx.stopSignal.aborted;
  }

  /** Abort the watch in progress (used by stop(); sleeps and requests watch the stop signal). */
  interrupt(): void {
    this.stopCurrentWatch?.();
  }

  async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (this.target === undefined) {
          const found = await this.def.discover((path) => this.get(path, {}));
          if (found === "not-served") {
            await this.handleNotServed();
            continue;
          }
          this.target = found;
          this.notServedLogged = false;
          this.ctx.log.info(
            { resource: this.def.name, apiVersion: found.apiVersion },
            "kube: using API version",
          );
          needList = true;
        }
        if (needList) {
          await this.list();
          needList = false;
        }
        const outcome = await this.watchOnce();
        if (outcome.kind === "stopped") return;
        if (outcome.kind === "error") throw outcome.error;
        this.hook((h) => h.onWatchRestart?.(this.def.name, outcome.reason));
        if (outcome.kind === "relist") {
          this.ctx.log.info({ resource: this.def.name, reason: outcome.reason }, "kube: relisting");
          needList = true;
          continue;
        }
        this.ctx.log.debug(
          { resource: this.def.name, reason: outcome.reason },
          "kube: watching again",
        );
        if (
          outcome.reason === "closed" &&
          outcome.lines === 0 &&
          outcome.elapsedMs < MIN_USEFUL_WATCH_MS
        ) {
          await this.sleep(this.backoff.next());
        }
      } catch (error) {
        if (this.stopped) return;
        const status = statusCodeOf(error);
        // 404: the API went away or changed version under us (CRD upgraded) → discover again.
        if (status === 404) this.target = undefined;
        // 410 on a LIST: its continue token expired → start the LIST over.
        if (status === 404 || status === 410) needList = true;
        const delay = this.backoff.next();
        this.hook((h) => h.onWatchError?.(this.def.name));
        this.ctx.log.warn(
          {
            resource: this.def.name,
            err: errorText(error),
            status,
            attempt: this.backoff.attempts,
            retryInMs: delay,
            objects: this.held(),
          },
          "kube: request failed; serving the last good data and retrying",
        );
        await this.sleep(delay);
      }
    }
  }

  private async handleNotServed(): Promise<void> {
    if (!this.def.optional) {
      throw new KubeApiError(
        404,
        `the API for ${this.def.name} is not served (CRD not installed?)`,
      );
    }
    if (!this.notServedLogged) {
      this.notServedLogged = true;
      this.ctx.log.info(
        { resource: this.def.name, recheckMs: this.ctx.optionalApiRecheckMs },
        "kube: optional API not served; treating as synced with no objects",
      );
    }
    // The API not being served (a 404, not an error) means there are no such objects.
    if (this.held() > 0 || this.lists === 0) {
      this.sink.replace(this.def.kind, []);
      this.hook((h) => h.onObjects?.(this.def.name, 0));
    }
    this.lists += 1;
    this.sink.markSynced();
    this.hook((h) => h.onSynced?.(this.def.name, new Date()));
    this.backoff.reset();
    await this.sleep(this.ctx.optionalApiRecheckMs);
  }

  private get(path: string, query: Record<string, string>): Promise<unknown> {
    return getJson(this.ctx.kubeConfig, path, query, {
      signal: this.ctx.stopSignal,
      timeoutMs: this.ctx.requestTimeoutMs,
    });
  }

  private async list(): Promise<void> {
    const target = this.requireTarget();
    if (this.lists > 0) this.hook((h) => h.onRelist?.(this.def.name));
    const objects: ClusterObject[] = [];
    let resourceVersion = "";
    let continueToken: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: String(this.ctx.listPageSize) };
      if (this.def.labelSelector !== undefined) query.labelSelector = this.def.labelSelector;
      if (continueToken !== undefined) query.continue = continueToken;
      const body = await this.get(target.path, query);
      const metadata = metadataOf(body);
      resourceVersion = stringField(metadata, "resourceVersion") ?? resourceVersion;
      continueToken = stringField(metadata, "continue");
      for (const item of arrayField(body, "items")) {
        const object = this.validate(item);
        if (object === undefined) continue;
        objects.push(object);
      }
      pages += 1;
    } while (continueToken !== undefined && pages < MAX_LIST_PAGES);
    if (resourceVersion === "") throw new Error(`LIST ${target.path} returned no resourceVersion`);

    this.sink.replace(this.def.kind, objects);
    this.resourceVersion = resourceVersion;
    this.lists += 1;
    this.sink.markSynced();
    if (this.backoff.attempts > 0) {
      this.ctx.log.info(
        { resource: this.def.name, afterFailures: this.backoff.attempts },
        "kube: recovered",
      );
    }
    this.backoff.reset();
    this.hook((h) => h.onObjects?.(this.def.name, this.held()));
    this.hook((h) => h.onSynced?.(this.def.name, new Date()));
    this.ctx.log.info(
      { resource: this.def.name, objects: objects.length, resourceVersion, pages },
      this.lists === 1 ? "kube: synced" : "kube: relisted",
    );
  }

  private requireTarget(): ResourceTarget {
    if (this.target === undefined) throw new Error(`${this.def.name}: no API version discovered`);
    return this.target;
  }

  /** Parse one raw object, reporting problems; undefined when the object as a whole is invalid. */
  private validate(raw: unknown): ClusterObject | undefined {
    let result: ParseResult<ClusterObject>;
    try {
      result = this.def.parse(raw);
    } catch (error) {
      this.handlerError(error, raw);
      return undefined;
    }
    for (const problem of result.problems) {
      this.sink.reject(problem);
      this.hook((h) => h.onRejected?.(this.def.name));
    }
    return result.object;
  }

  private watchTimeoutSeconds(): number {
    const { min, max } = this.ctx.watchTimeoutSeconds;
    return min + Math.floor(this.ctx.random() * (max - min + 1));
  }

  private watchOnce(): Promise<WatchOutcome> {
    const target = this.requireTarget();
    this.generation += 1;
    const generation = this.generation;
    const startedAt = Date.now();
    let lines = 0;
    let settled = false;
    let controller: AbortController | undefined;

    return new Promise<WatchOutcome>((resolve) => {
      const settle = (outcome: WatchOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(idleTimer);
        if (this.generation === generation) this.generation += 1;
        this.stopCurrentWatch = undefined;
        controller?.abort();
        resolve(outcome);
      };
      // The watchdog also covers a watch whose response never starts: Watch.watch only hands us
      // its AbortController once headers arrive, so we give up on it here and abort it later.
      const idleTimer = setTimeout(() => {
        this.ctx.log.warn(
          { resource: this.def.name, idleMs: this.ctx.watchIdleTimeoutMs },
          "kube: watch idle too long; restarting it",
        );
        settle({ kind: "rewatch", reason: "idle", lines, elapsedMs: Date.now() - startedAt });
      }, this.ctx.watchIdleTimeoutMs);
      this.stopCurrentWatch = () => settle({ kind: "stopped" });
      if (this.stopped) {
        settle({ kind: "stopped" });
        return;
      }

      const query: Record<string, string | number | boolean> = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.watchTimeoutSeconds(),
      };
      if (this.def.labelSelector !== undefined) query.labelSelector = this.def.labelSelector;

      const onLine = (phase: string, object: unknown): void => {
        if (settled || generation !== this.generation) return;
        lines += 1;
        idleTimer.refresh();
        // The stream works again; a later failure starts its backoff from the beginning.
        if (lines === 1) this.backoff.reset();
        try {
          const end = this.handleEvent(phase, object);
          if (end !== undefined) settle(end);
        } catch (error) {
          this.handlerError(error, object);
        }
      };
      const onDone = (error: unknown): void => {
        if (settled || generation !== this.generation) return;
        if (error === null || error === undefined) {
          settle({ kind: "rewatch", reason: "closed", lines, elapsedMs: Date.now() - startedAt });
        } else if (statusCodeOf(error) === 410) {
          settle({ kind: "relist", reason: "gone" });
        } else {
          settle({ kind: "error", error });
        }
      };
      this.ctx.watch.watch(target.path, query, onLine, onDone).then(
        (abort) => {
          controller = abort;
          if (settled) abort.abort();
        },
        (error: unknown) => settle({ kind: "error", error }),
      );
    });
  }

  /** Apply one watch event; returns how the watch ends when the event ends it. */
  private handleEvent(phase: string, object: unknown): WatchOutcome | undefined {
    this.hook((h) => h.onEvent?.(this.def.name, phase));
    switch (phase) {
      case "ADDED":
      case "MODIFIED":
        this.advance(object);
        this.applyUpsert(object);
        return undefined;
      case "DELETED":
        this.advance(object);
        this.applyDelete(object);
        return undefined;
      case "BOOKMARK":
        this.advance(object);
        return undefined;
      case "ERROR": {
        const code = isRecord(object) && typeof object.code === "number" ? object.code : 0;
        const message =
          isRecord(object) && typeof object.message === "string" ? object.message : "watch error";
        if (code === 410) return { kind: "relist", reason: "expired" };
        return { kind: "error", error: new KubeApiError(code, `watch ERROR event: ${message}`) };
      }
      default:
        this.ctx.log.debug(
          { resource: this.def.name, phase },
          "kube: unknown watch event type ignored",
        );
        return undefined;
    }
  }

  private advance(object: unknown): void {
    const version = stringField(metadataOf(object), "resourceVersion");
    if (version !== undefined) this.resourceVersion = version;
  }

  private refOf(raw: unknown): { namespace: string; name: string } | undefined {
    const metadata = metadataOf(raw);
    const name = stringField(metadata, "name");
    if (name === undefined) return undefined;
    return {
      namespace:
        this.def.kind === "ClusterProperty" ? "" : (stringField(metadata, "namespace") ?? ""),
      name,
    };
  }

  private applyUpsert(raw: unknown): void {
    const object = this.validate(raw);
    if (object !== undefined) {
      this.sink.upsert(object);
      this.hook((h) => h.onObjects?.(this.def.name, this.held()));
      return;
    }
    // Invalid as a whole now: serving its previous version would be serving something wrong.
    this.applyDelete(raw);
  }

  private applyDelete(raw: unknown): void {
    const ref = this.refOf(raw);
    if (ref === undefined) return;
    const before = this.held();
    this.sink.remove({ kind: this.def.kind, ...ref });
    const after = this.held();
    if (after !== before) this.hook((h) => h.onObjects?.(this.def.name, after));
  }

  /** Our code threw on an object: log, count, and drop the object rather than keep a stale one. */
  private handlerError(error: unknown, raw: unknown): void {
    this.hook((h) => h.onHandlerError?.(this.def.name));
    this.ctx.log.error(
      { resource: this.def.name, err: errorText(error), object: this.refOf(raw) },
      "kube: error handling an object; dropped it",
    );
    try {
      const ref = this.refOf(raw);
      if (ref !== undefined) this.sink.remove({ kind: this.def.kind, ...ref });
    } catch {
      // Already reported above; nothing more to do.
    }
  }

  private hook(call: (hooks: KubeSourceHooks) => void): void {
    try {
      call(this.ctx.hooks);
    } catch (error) {
      this.ctx.log.error(
        { resource: this.def.name, err: errorText(error) },
        "kube: metrics hook threw",
      );
    }
  }

  /** Resolves after `ms`, or at once when the source stops. */
  private sleep(ms: number): Promise<void> {
    const signal = this.ctx.stopSignal;
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

function objectCount(store: ObjectStore, kind: ObjectKind): number {
  const objects = store.objects;
  if (kind === "ServiceImport") return objects.imports.size;
  if (kind === "EndpointSlice") return objects.slices.size;
  return objects.clusterProperties.size;
}

/**
 * Start one list/watch loop per resource; resolves once the loops are running (not when they
 * have synced: the store's `synced` says that). The store gets one sink per resource,
 * "kube:<resource>", so it is synced only when all three have listed once.
 */
export function startKubeSource(options: KubeSourceOptions): Promise<KubeSource> {
  const stopController = new AbortController();
  const ctx: LoopContext = {
    kubeConfig: options.kubeConfig,
    watch: new Watch(options.kubeConfig),
    log: options.log,
    hooks: options.hooks ?? {},
    random: options.random ?? Math.random,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    watchIdleTimeoutMs: options.watchIdleTimeoutMs ?? 120_000,
    watchTimeoutSeconds: options.watchTimeoutSeconds ?? { min: 300, max: 600 },
    optionalApiRecheckMs: options.optionalApiRecheckMs ?? 300_000,
    listPageSize: options.listPageSize ?? 500,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    stopSignal: stopController.signal,
  };
  if (options.kubeConfig.getCurrentCluster() === null) {
    return Promise.reject(new Error("kubeconfig has no current cluster"));
  }
  const loops = RESOURCE_DEFS.map(
    (def) =>
      new ResourceLoop(def, options.store.sink(`kube:${def.name}`), ctx, () =>
        objectCount(options.store, def.kind),
      ),
  );
  const running = loops.map((loop) =>
    loop.run().catch((error: unknown) => {
      // run() catches everything itself; this is a last line so a bug cannot crash the process.
      options.log.error({ err: errorText(error) }, "kube: list/watch loop ended unexpectedly");
    }),
  );
  let stopping: Promise<void> | undefined;
  return Promise.resolve({
    resources: RESOURCE_DEFS.map((def) => def.name),
    stop(): Promise<void> {
      stopping ??= (async () => {
        stopController.abort();
        for (const loop of loops) loop.interrupt();
        await Promise.all(running);
      })();
      return stopping;
    },
  });
}
