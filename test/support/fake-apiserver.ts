// A fake Kubernetes apiserver for tests: a real node:http server on 127.0.0.1 that serves just
// enough of the API for clusterset-dns' kube source (discovery, LIST, WATCH as chunked NDJSON),
// with the resourceVersion semantics a list/watch client depends on, and knobs that make it
// misbehave the ways real apiservers do (5xx, expired watches, HTTP 410, dropped connections,
// stalled watches, an older API version only, a missing CRD).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type FakeKind = "ServiceImport" | "EndpointSlice" | "ClusterProperty";

/** A raw Kubernetes object as JSON; the fake fills in apiVersion, kind and metadata.resourceVersion. */
export type RawObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface FakeApiServerOptions {
  /** Serve about.k8s.io/v1beta1 clusterproperties (the optional CRD); default true. */
  clusterProperties?: boolean;
  /** How many change events a watch can be resumed from; older versions get 410 Gone. Default 1000. */
  historySize?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface FakeApiFaults {
  /** The next `n` API requests (any path) fail with HTTP `status` and a Status body. */
  failNext(n: number, status: number): void;
  /** Every open watch gets an ERROR 410 (Expired) event and is closed; resuming from any version older than now gets 410 too. */
  expireWatches(): void;
  /** The next `n` watch requests are answered with HTTP 410 Gone. */
  http410OnNextWatch(n: number): void;
  /** Destroy every open TCP connection (watches and lists in flight die mid-stream). */
  dropConnections(): void;
  /**
   * The next `n` watch requests (only those whose path contains `pathContains`, when given) get
   * 200 headers and then nothing, ever (until the client gives up).
   */
  stallNextWatch(n: number, pathContains?: string): void;
  /** The next `n` watch requests (filtered like stallNextWatch) get 200 headers and an immediate clean end. */
  endNextWatch(n: number, pathContains?: string): void;
  /** Serve multicluster.x-k8s.io only in v1alpha1 (true) or in v1beta1 and v1alpha1 (false, the default). */
  serveOnlyV1alpha1(only: boolean): void;
  /** Serve or stop serving the about.k8s.io ClusterProperty API (its CRD installed or not). */
  serveClusterProperties(served: boolean): void;
  /** Serve or stop serving the multicluster.x-k8s.io ServiceImport API (its CRD installed or not). */
  serveServiceImports(served: boolean): void;
}

export interface FakeApiServer {
  url: string;
  port: number;
  /** A kubeconfig file (in a temp dir removed by close()) pointing at this server, no auth. */
  kubeconfigPath: string;
  /** Create or update an object; returns its new resourceVersion. */
  set(kind: FakeKind, object: RawObject): string;
  /** Delete an object; returns false when it did not exist. */
  delete(kind: FakeKind, namespace: string, name: string): boolean;
  /** Send a BOOKMARK at the current resourceVersion to every watch that allowed bookmarks. */
  bookmark(): void;
  /** The current (latest) global resourceVersion. */
  readonly resourceVersion: number;
  /** Number of watch connections currently open. */
  readonly openWatches: number;
  /** Every request received, in order. */
  readonly requests: RequestRecord[];
  readonly faults: FakeApiFaults;
  close(): Promise<void>;
}

interface ResourceDef {
  kind: FakeKind;
  group: string;
  plural: string;
  namespaced: boolean;
  versions: readonly string[];
}

const RESOURCES: readonly ResourceDef[] = [
  {
    kind: "ServiceImport",
    group: "multicluster.x-k8s.io",
    plural: "serviceimports",
    namespaced: true,
    versions: ["v1beta1", "v1alpha1"],
  },
  {
    kind: "EndpointSlice",
    group: "discovery.k8s.io",
    plural: "endpointslices",
    namespaced: true,
    versions: ["v1"],
  },
  {
    kind: "ClusterProperty",
    group: "about.k8s.io",
    plural: "clusterproperties",
    namespaced: false,
    versions: ["v1beta1"],
  },
];

interface HistoryEvent {
  rv: number;
  kind: FakeKind;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: RawObject;
  /** The state before this change, so label-selector watches can turn MODIFIED into ADDED/DELETED. */
  previous: RawObject | undefined;
}

interface OpenWatch {
  kind: FakeKind;
  version: string;
  group: string;
  namespace: string | undefined;
  selector: LabelRequirement[];
  bookmarks: boolean;
  res: ServerResponse;
  timer: NodeJS.Timeout | undefined;
}

type LabelRequirement =
  | { op: "exists"; key: string }
  | { op: "notExists"; key: string }
  | { op: "equals"; key: string; value: string }
  | { op: "notEquals"; key: string; value: string };

/** Parse the subset of label selectors the tests use: `k`, `!k`, `k=v`, `k==v`, `k!=v`, comma-joined. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  for (const part of text.split(",")) {
    const term = part.trim();
    if (term === "") continue;
    const ne = term.indexOf("!=");
    const eq = term.indexOf("=");
    if (ne > 0) {
      out.push({
        op: "notEquals",
        key: term.slice(0, ne).trim(),
        value: term.slice(ne + 2).trim(),
      });
    } else if (eq > 0) {
      const value = term.slice(term[eq + 1] === "=" ? eq + 2 : eq + 1).trim();
      out.push({ op: "equals", key: term.slice(0, eq).trim(), value });
    } else if (term.startsWith("!")) {
      out.push({ op: "notExists", key: term.slice(1).trim() });
    } else {
      out.push({ op: "exists", key: term });
    }
  }
  return out;
}

function labelsOf(object: RawObject): Record<string, unknown> {
  const labels = object.metadata?.labels;
  return typeof labels === "object" && labels !== null ? (labels as Record<string, unknown>) : {};
}

function matchesSelector(object: RawObject, selector: readonly LabelRequirement[]): boolean {
  const labels = labelsOf(object);
  return selector.every((req) => {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    switch (req.op) {
      case "exists":
        return has;
      case "notExists":
        return !has;
      case "equals":
        return has && labels[req.key] === req.value;
      case "notEquals":
        return !has || labels[req.key] !== req.value;
    }
  });
}

function metaString(object: RawObject, field: string): string {
  const value = object.metadata?.[field];
  return typeof value === "string" ? value : "";
}

function storeKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  403: "Forbidden",
  404: "NotFound",
  410: "Expired",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

export async function startFakeApiServer(
  options: FakeApiServerOptions = {},
): Promise<FakeApiServer> {
  const historySize = options.historySize ?? 1000;
  const objects = new Map<FakeKind, Map<string, RawObject>>(
    RESOURCES.map((r) => [r.kind, new Map()]),
  );
  const history: HistoryEvent[] = [];
  /** Watches may not resume from a version below this (compaction / expiry). */
  let oldestResumableRv = 1;
  let rv = 1;
  const requests: RequestRecord[] = [];
  const watches = new Set<OpenWatch>();
  const sockets = new Set<Socket>();
  const continuations = new Map<string, { rv: number; items: RawObject[] }>();
  let continuationSeq = 0;

  let failCount = 0;
  let failStatus = 500;
  let gone410Count = 0;
  let stallCount = 0;
  let stallPathContains = "";
  let endCount = 0;
  let endPathContains = "";
  let onlyV1alpha1 = false;
  let clusterPropertiesServed = options.clusterProperties ?? true;
  let serviceImportsServed = true;
  const stalled = new Set<ServerResponse>();

  const dir = mkdtempSync(join(tmpdir(), "fake-apiserver-"));
  const kubeconfigPath = join(dir, "kubeconfig");

  function def(kind: FakeKind): ResourceDef {
    const found = RESOURCES.find((r) => r.kind === kind);
    if (found === undefined) throw new Error(`unknown kind ${kind}`);
    return found;
  }

  function servedVersions(resource: ResourceDef): string[] {
    if (resource.kind === "ClusterProperty" && !clusterPropertiesServed) return [];
    if (resource.kind === "ServiceImport" && !serviceImportsServed) return [];
    if (resource.kind === "ServiceImport" && onlyV1alpha1) return ["v1alpha1"];
    return [...resource.versions];
  }

  function servedGroups(): { group: string; versions: string[] }[] {
    const out: { group: string; versions: string[] }[] = [];
    for (const resource of RESOURCES) {
      const versions = servedVersions(resource);
      if (versions.length > 0) out.push({ group: resource.group, versions });
    }
    return out;
  }

  /** An object as served in `version`, without mutating the stored copy. */
  function asServed(
    resource: ResourceDef,
    version: string,
    object: RawObject,
    withType: boolean,
  ): RawObject {
    const copy = structuredClone(object);
    if (withType) {
      copy.apiVersion = `${resource.group}/${version}`;
      copy.kind = resource.kind;
    } else {
      // Like the real apiserver for built-in types: list items carry no kind/apiVersion.
      delete copy.apiVersion;
      delete copy.kind;
    }
    return copy;
  }

  function writeEvent(watch: OpenWatch, type: string, object: RawObject): void {
    if (watch.res.writableEnded || watch.res.destroyed) return;
    watch.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  function endWatch(watch: OpenWatch): void {
    if (watch.timer !== undefined) clearTimeout(watch.timer);
    watches.delete(watch);
    if (!watch.res.writableEnded) watch.res.end();
  }

  function deliver(watch: OpenWatch, event: HistoryEvent): void {
    if (event.kind !== watch.kind) return;
    const resource = def(event.kind);
    if (watch.namespace !== undefined && metaString(event.object, "namespace") !== watch.namespace)
      return;
    const nowMatches = matchesSelector(event.object, watch.selector);
    const wasMatching =
      event.previous !== undefined && matchesSelector(event.previous, watch.selector);
    let type: string | undefined;
    if (event.type === "DELETED") type = nowMatches ? "DELETED" : undefined;
    else if (event.type === "ADDED") type = nowMatches ? "ADDED" : undefined;
    else if (nowMatches) type = wasMatching ? "MODIFIED" : "ADDED";
    else type = wasMatching ? "DELETED" : undefined;
    if (type !== undefined)
      writeEvent(watch, type, asServed(resource, watch.version, event.object, true));
  }

  function record(event: HistoryEvent): void {
    history.push(event);
    while (history.length > historySize) {
      const dropped = history.shift();
      if (dropped !== undefined) oldestResumableRv = Math.max(oldestResumableRv, dropped.rv);
    }
    for (const watch of watches) deliver(watch, event);
  }

  function set(kind: FakeKind, object: RawObject): string {
    const resource = def(kind);
    const map = objects.get(kind);
    if (map === undefined) throw new Error(`unknown kind ${kind}`);
    const name = metaString(object, "name");
    if (name === "") throw new Error("fake apiserver: object needs metadata.name");
    const namespace = resource.namespaced ? metaString(object, "namespace") : "";
    const key = storeKey(namespace, name);
    const previous = map.get(key);
    rv += 1;
    const stored = structuredClone(object);
    stored.metadata = {
      ...stored.metadata,
      name,
      ...(resource.namespaced ? { namespace } : {}),
      resourceVersion: String(rv),
      uid: previous === undefined ? `uid-${rv}` : metaString(previous, "uid"),
    };
    map.set(key, stored);
    record({
      rv,
      kind,
      type: previous === undefined ? "ADDED" : "MODIFIED",
      object: stored,
      previous,
    });
    return String(rv);
  }

  function remove(kind: FakeKind, namespace: string, name: string): boolean {
    const resource = def(kind);
    const map = objects.get(kind);
    const key = storeKey(resource.namespaced ? namespace : "", name);
    const previous = map?.get(key);
    if (map === undefined || previous === undefined) return false;
    map.delete(key);
    rv += 1;
    const gone = structuredClone(previous);
    gone.metadata = { ...gone.metadata, resourceVersion: String(rv) };
    record({ rv, kind, type: "DELETED", object: gone, previous });
    return true;
  }

  function bookmark(): void {
    for (const watch of watches) {
      if (!watch.bookmarks) continue;
      const resource = def(watch.kind);
      writeEvent(watch, "BOOKMARK", {
        apiVersion: `${resource.group}/${watch.version}`,
        kind: resource.kind,
        metadata: { resourceVersion: String(rv) },
      });
    }
  }

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  function sendStatus(res: ServerResponse, code: number, message: string): void {
    sendJson(res, code, statusBody(code, REASONS[code] ?? "Unknown", message));
  }

  function discovery(res: ServerResponse, segments: string[]): void {
    const groups = servedGroups();
    if (segments.length === 1) {
      sendJson(res, 200, {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: groups.map((g) => ({
          name: g.group,
          versions: g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${g.group}/${g.versions[0]}`, version: g.versions[0] },
        })),
      });
      return;
    }
    const group = groups.find((g) => g.group === segments[1]);
    if (group === undefined)
      return sendStatus(res, 404, "the server could not find the requested resource");
    if (segments.length === 2) {
      sendJson(res, 200, {
        kind: "APIGroup",
        apiVersion: "v1",
        name: group.group,
        versions: group.versions.map((v) => ({ groupVersion: `${group.group}/${v}`, version: v })),
        preferredVersion: {
          groupVersion: `${group.group}/${group.versions[0]}`,
          version: group.versions[0],
        },
      });
      return;
    }
    const version = segments[2] ?? "";
    if (!group.versions.includes(version)) {
      return sendStatus(res, 404, "the server could not find the requested resource");
    }
    sendJson(res, 200, {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: `${group.group}/${version}`,
      resources: RESOURCES.filter((r) => r.group === group.group).map((r) => ({
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
      })),
    });
  }

  /** Resolve /apis/<group>/<version>[/watch][/namespaces/<ns>]/<plural> to what it names. */
  function resolveResourcePath(
    segments: string[],
  ):
    | { resource: ResourceDef; version: string; namespace: string | undefined; watchPath: boolean }
    | undefined {
    const [, group, version, ...rest] = segments;
    let watchPath = false;
    if (rest[0] === "watch") {
      watchPath = true;
      rest.shift();
    }
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length === 3) {
      namespace = rest[1];
      rest.splice(0, 2);
    }
    if (rest.length !== 1) return undefined;
    const resource = RESOURCES.find((r) => r.group === group && r.plural === rest[0]);
    if (
      resource === undefined ||
      version === undefined ||
      !servedVersions(resource).includes(version)
    ) {
      return undefined;
    }
    if (namespace !== undefined && !resource.namespaced) return undefined;
    return { resource, version, namespace, watchPath };
  }

  function list(
    res: ServerResponse,
    resource: ResourceDef,
    version: string,
    namespace: string | undefined,
    query: Record<string, string>,
  ): void {
    const limit = Number(query.limit ?? "0");
    let listRv: number;
    let items: RawObject[];
    if (query.continue !== undefined && query.continue !== "") {
      const saved = continuations.get(query.continue);
      continuations.delete(query.continue);
      if (saved === undefined || saved.rv < oldestResumableRv) {
        return sendStatus(res, 410, "The provided continue parameter is too old");
      }
      listRv = saved.rv;
      items = saved.items;
    } else {
      const selector = parseLabelSelector(query.labelSelector ?? "");
      listRv = rv;
      items = [...(objects.get(resource.kind)?.values() ?? [])]
        .filter((o) => namespace === undefined || metaString(o, "namespace") === namespace)
        .filter((o) => matchesSelector(o, selector))
        .sort((a, b) =>
          storeKey(metaString(a, "namespace"), metaString(a, "name")).localeCompare(
            storeKey(metaString(b, "namespace"), metaString(b, "name")),
          ),
        );
    }
    let page = items;
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      page = items.slice(0, limit);
      continuationSeq += 1;
      const token = `c${continuationSeq}`;
      continuations.set(token, { rv: listRv, items: items.slice(limit) });
      metadata.continue = token;
      metadata.remainingItemCount = items.length - limit;
    }
    sendJson(res, 200, {
      kind: `${resource.kind}List`,
      apiVersion: `${resource.group}/${version}`,
      metadata,
      items: page.map((o) => asServed(resource, version, o, false)),
    });
  }

  function watch(
    req: IncomingMessage,
    res: ServerResponse,
    resource: ResourceDef,
    version: string,
    namespace: string | undefined,
    query: Record<string, string>,
  ): void {
    if (gone410Count > 0) {
      gone410Count -= 1;
      return sendStatus(res, 410, "too old resource version");
    }
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    if (endCount > 0 && (req.url ?? "").includes(endPathContains)) {
      endCount -= 1;
      res.end();
      return;
    }
    if (stallCount > 0 && (req.url ?? "").includes(stallPathContains)) {
      stallCount -= 1;
      stalled.add(res);
      res.on("close", () => stalled.delete(res));
      return;
    }
    const open: OpenWatch = {
      kind: resource.kind,
      version,
      group: resource.group,
      namespace,
      selector: parseLabelSelector(query.labelSelector ?? ""),
      bookmarks: query.allowWatchBookmarks === "true",
      res,
      timer: undefined,
    };
    const from = query.resourceVersion;
    if (from !== undefined && from !== "" && from !== "0") {
      const fromRv = Number(from);
      if (!Number.isInteger(fromRv) || fromRv < oldestResumableRv || fromRv > rv) {
        writeEvent(
          open,
          "ERROR",
          statusBody(410, "Expired", `too old resource version: ${from} (${rv})`),
        );
        res.end();
        return;
      }
      watches.add(open);
      for (const event of history) if (event.rv > fromRv) deliver(open, event);
    } else {
      // No version: the current state as synthetic ADDED events, then changes.
      watches.add(open);
      for (const object of objects.get(resource.kind)?.values() ?? []) {
        if (namespace !== undefined && metaString(object, "namespace") !== namespace) continue;
        if (matchesSelector(object, open.selector)) {
          writeEvent(open, "ADDED", asServed(resource, version, object, true));
        }
      }
    }
    const timeoutSeconds = Number(query.timeoutSeconds ?? "0");
    if (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0) {
      open.timer = setTimeout(() => endWatch(open), timeoutSeconds * 1000);
    }
    req.on("close", () => endWatch(open));
    res.on("close", () => endWatch(open));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const query = Object.fromEntries(url.searchParams.entries());
    requests.push({ method: req.method ?? "GET", path: url.pathname, query });
    if (failCount > 0) {
      failCount -= 1;
      return sendStatus(res, failStatus, `injected failure ${failStatus}`);
    }
    if (req.method !== "GET") return sendStatus(res, 405, "only GET is served");
    const segments = url.pathname.split("/").filter((s) => s !== "");
    if (segments[0] !== "apis") return sendStatus(res, 404, "not found");
    if (segments.length <= 3) return discovery(res, segments);
    const target = resolveResourcePath(segments);
    if (target === undefined)
      return sendStatus(res, 404, "the server could not find the requested resource");
    if (target.watchPath || query.watch === "true" || query.watch === "1") {
      return watch(req, res, target.resource, target.version, target.namespace, query);
    }
    return list(res, target.resource, target.version, target.namespace, query);
  }

  const server: Server = createServer(handle);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  // client-node refuses plain http unless insecure-skip-tls-verify is set.
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "fake", user: {} }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "fake" } }],
      "current-context": "fake",
    }),
  );

  const faults: FakeApiFaults = {
    failNext(n, status) {
      failCount = n;
      failStatus = status;
    },
    expireWatches() {
      oldestResumableRv = rv;
      for (const open of [...watches]) {
        writeEvent(open, "ERROR", statusBody(410, "Expired", "watch expired"));
        endWatch(open);
      }
    },
    http410OnNextWatch(n) {
      gone410Count = n;
    },
    dropConnections() {
      for (const open of [...watches]) {
        if (open.timer !== undefined) clearTimeout(open.timer);
        watches.delete(open);
      }
      for (const socket of sockets) socket.destroy();
    },
    stallNextWatch(n, pathContains = "") {
      stallCount = n;
      stallPathContains = pathContains;
    },
    endNextWatch(n, pathContains = "") {
      endCount = n;
      endPathContains = pathContains;
    },
    serveOnlyV1alpha1(only) {
      onlyV1alpha1 = only;
    },
    serveClusterProperties(served) {
      clusterPropertiesServed = served;
    },
    serveServiceImports(served) {
      serviceImportsServed = served;
    },
  };

  return {
    url,
    port,
    kubeconfigPath,
    set,
    delete: remove,
    bookmark,
    get resourceVersion() {
      return rv;
    },
    get openWatches() {
      return watches.size;
    },
    requests,
    faults,
    async close() {
      for (const open of [...watches]) endWatch(open);
      for (const res of stalled) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
