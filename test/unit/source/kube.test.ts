// The kube source against the fake apiserver over real HTTP on 127.0.0.1, with the real
// client-node Watch and the real ObjectStore: sync, events, and every fault the fake can inject.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  loadKubeConfig,
  startKubeSource,
  type KubeSource,
  type KubeSourceOptions,
} from "../../../src/source/kube.js";
import { ObjectStore } from "../../../src/source/store.js";
import type { EndpointSlice, ServiceImport, ValidationProblem } from "../../../src/zone/types.js";
import {
  startFakeApiServer,
  type FakeApiServer,
  type FakeApiServerOptions,
} from "../../support/fake-apiserver.js";

const SERVICE_NAME = "multicluster.kubernetes.io/service-name";

function serviceImport(
  name: string,
  ips: string[],
  type = "ClusterSetIP",
): Record<string, unknown> {
  return {
    metadata: { name, namespace: "demo" },
    spec: { type, ips, ports: [{ name: "http", protocol: "TCP", port: 80 }] },
  };
}

function endpointSlice(
  name: string,
  service: string,
  endpoints: { addresses: string[]; ready?: boolean }[],
  cluster = "east",
): Record<string, unknown> {
  return {
    metadata: {
      name,
      namespace: "demo",
      labels: { [SERVICE_NAME]: service, "multicluster.kubernetes.io/source-cluster": cluster },
    },
    addressType: "IPv4",
    endpoints: endpoints.map((e) => ({
      addresses: e.addresses,
      ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
    })),
    ports: [{ name: "http", protocol: "TCP", port: 8080 }],
  };
}

function clusterProperty(value: string): Record<string, unknown> {
  return { metadata: { name: "cluster.clusterset.k8s.io" }, spec: { value } };
}

interface LogEntry {
  level: string;
  object: object;
  message: string;
}

function recordingLogger(entries: LogEntry[]): KubeSourceOptions["log"] {
  const at =
    (level: string) =>
    (object: object, message: string): void => {
      entries.push({ level, object, message });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Poll `condition` until true; fails after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function importOf(store: ObjectStore, name: string): ServiceImport | undefined {
  return store.objects.imports.get(`ServiceImport/demo/${name}`);
}

function sliceOf(store: ObjectStore, name: string): EndpointSlice | undefined {
  return store.objects.slices.get(`EndpointSlice/demo/${name}`);
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? NaN;
}

/** One test's world: a fake apiserver, a store, a running source, and what the hooks saw. */
interface Harness {
  server: FakeApiServer;
  store: ObjectStore;
  source: KubeSource;
  logs: LogEntry[];
  counts: Map<string, number>;
  rejects: ValidationProblem[];
  count(key: string): number;
}

describe("kube source", function () {
  this.timeout(15_000);
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startServer(options?: FakeApiServerOptions): Promise<FakeApiServer> {
    const server = await startFakeApiServer(options);
    cleanups.push(() => server.close());
    return server;
  }

  async function startSource(
    server: FakeApiServer,
    options: Partial<KubeSourceOptions> = {},
  ): Promise<Harness> {
    const store = options.store ?? new ObjectStore();
    const logs: LogEntry[] = [];
    const counts = new Map<string, number>();
    const rejects: ValidationProblem[] = [];
    const bump = (key: string): void => {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    if (options.store === undefined)
      store.setListener({ onChange() {}, onReject: (_s, p) => rejects.push(p) });
    const source = await startKubeSource({
      kubeConfig: loadKubeConfig(server.kubeconfigPath),
      store,
      log: recordingLogger(logs),
      backoff: { initialMs: 20, maxMs: 200 },
      watchIdleTimeoutMs: 10_000,
      hooks: {
        onEvent: (r, type) => bump(`event:${r}:${type}`),
        onRelist: (r) => bump(`relist:${r}`),
        onWatchRestart: (r, reason) => bump(`restart:${r}:${reason}`),
        onWatchError: (r) => bump(`error:${r}`),
        onSynced: (r) => bump(`synced:${r}`),
        onHandlerError: (r) => bump(`handlerError:${r}`),
        onObjects: (r, n) => counts.set(`objects:${r}`, n),
        onRejected: (r) => bump(`rejected:${r}`),
      },
      ...options,
    });
    cleanups.push(() => source.stop());
    return {
      server,
      store,
      source,
      logs,
      counts,
      rejects,
      count: (key) => counts.get(key) ?? 0,
    };
  }

  it("lists all three resources, then marks the store synced (not before)", async () => {
    const server = await startServer();
    server.set("ServiceImport", serviceImport("web", ["10.96.0.10"]));
    server.set("EndpointSlice", endpointSlice("web-east", "web", [{ addresses: ["10.1.0.1"] }]));
    server.set("ClusterProperty", clusterProperty("east"));
    const store = new ObjectStore();
    const syncOrder: [string, boolean][] = [];
    store.setListener({
      onChange() {},
      onSynced: (source) => syncOrder.push([source, store.synced]),
    });
    const h = await startSource(server, { store });
    assert.deepEqual(h.source.resources, ["serviceimports", "endpointslices", "clusterproperties"]);
    await waitFor("sync", () => store.synced);
    assert.equal(syncOrder.length, 3);
    assert.deepEqual(
      syncOrder.map(([, synced]) => synced),
      [false, false, true],
    );
    assert.deepEqual(syncOrder.map(([source]) => source).sort(), [
      "kube:clusterproperties",
      "kube:endpointslices",
      "kube:serviceimports",
    ]);
    assert.deepEqual(importOf(store, "web"), {
      kind: "ServiceImport",
      namespace: "demo",
      name: "web",
      type: "ClusterSetIP",
      ips: ["10.96.0.10"],
      ports: [{ name: "http", protocol: "TCP", port: 80 }],
      clusters: [],
    });
    assert.deepEqual(sliceOf(store, "web-east")?.endpoints, [
      { addresses: ["10.1.0.1"], hostname: undefined, ready: true, targetRef: undefined },
    ]);
    assert.equal(
      store.objects.clusterProperties.get("ClusterProperty//cluster.clusterset.k8s.io")?.value,
      "east",
    );
    assert.ok(
      server.requests.some((r) => r.path === "/apis/multicluster.x-k8s.io/v1beta1/serviceimports"),
    );
    assert.equal(h.counts.get("objects:serviceimports"), 1);
    assert.equal(h.count("synced:endpointslices"), 1);
  });

  it("delivers creates, updates and deletes of imports and slices to the store", async () => {
    const server = await startServer();
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    assert.equal(h.store.objects.imports.size, 0);

    server.set("ServiceImport", serviceImport("api", ["10.96.0.20"]));
    server.set("EndpointSlice", endpointSlice("api-east", "api", [{ addresses: ["10.1.0.5"] }]));
    await waitFor(
      "create",
      () => importOf(h.store, "api") !== undefined && sliceOf(h.store, "api-east") !== undefined,
    );

    server.set("ServiceImport", serviceImport("api", ["10.96.0.21"]));
    server.set("EndpointSlice", endpointSlice("api-east", "api", [{ addresses: ["10.1.0.6"] }]));
    await waitFor(
      "update",
      () =>
        importOf(h.store, "api")?.ips[0] === "10.96.0.21" &&
        sliceOf(h.store, "api-east")?.endpoints[0]?.addresses[0] === "10.1.0.6",
    );

    server.delete("EndpointSlice", "demo", "api-east");
    server.delete("ServiceImport", "demo", "api");
    await waitFor(
      "delete",
      () => h.store.objects.imports.size === 0 && h.store.objects.slices.size === 0,
    );
    assert.equal(h.counts.get("objects:serviceimports"), 0);
    assert.equal(h.count("event:serviceimports:ADDED"), 1);
    assert.equal(h.count("event:serviceimports:MODIFIED"), 1);
    assert.equal(h.count("event:serviceimports:DELETED"), 1);
  });

  it("sees an endpoint turn not ready", async () => {
    const server = await startServer();
    server.set(
      "EndpointSlice",
      endpointSlice("db-east", "db", [{ addresses: ["10.1.0.9"], ready: true }]),
    );
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    assert.equal(sliceOf(h.store, "db-east")?.endpoints[0]?.ready, true);
    server.set(
      "EndpointSlice",
      endpointSlice("db-east", "db", [{ addresses: ["10.1.0.9"], ready: false }]),
    );
    await waitFor("not ready", () => sliceOf(h.store, "db-east")?.endpoints[0]?.ready === false);
  });

  it("drops a slice whose service-name label is removed (selector no longer matches)", async () => {
    const server = await startServer();
    server.set("EndpointSlice", endpointSlice("x-east", "x", [{ addresses: ["10.1.0.1"] }]));
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    assert.ok(sliceOf(h.store, "x-east"));
    server.set("EndpointSlice", {
      metadata: { name: "x-east", namespace: "demo", labels: {} },
      addressType: "IPv4",
    });
    await waitFor("removal", () => sliceOf(h.store, "x-east") === undefined);
  });

  it("sends the label selector, bookmarks, a jittered timeout and the listed resourceVersion", async () => {
    const server = await startServer();
    server.set("EndpointSlice", endpointSlice("a", "a", [{ addresses: ["10.1.0.1"] }]));
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    await waitFor("three watches", () => server.openWatches === 3);
    const slices = server.requests.filter(
      (r) => r.path === "/apis/discovery.k8s.io/v1/endpointslices",
    );
    const list = slices.find((r) => r.query.watch === undefined);
    const watch = slices.find((r) => r.query.watch === "true");
    assert.equal(list?.query.labelSelector, SERVICE_NAME);
    assert.equal(list?.query.limit, "500");
    assert.equal(watch?.query.labelSelector, SERVICE_NAME);
    assert.equal(watch?.query.allowWatchBookmarks, "true");
    assert.equal(watch?.query.resourceVersion, String(server.resourceVersion));
    const watches = server.requests.filter((r) => r.query.watch === "true");
    assert.equal(watches.length, 3);
    for (const w of watches) {
      assert.equal(w.query.allowWatchBookmarks, "true");
      const timeout = Number(w.query.timeoutSeconds);
      assert.ok(
        Number.isInteger(timeout) && timeout >= 300 && timeout <= 600,
        `timeoutSeconds=${timeout}`,
      );
    }
    assert.ok(
      watches
        .filter((w) => w.path.endsWith("/serviceimports"))
        .every((w) => w.query.labelSelector === undefined),
    );
  });

  it("advances its resourceVersion on bookmarks and resumes from it", async () => {
    const server = await startServer();
    const h = await startSource(server, { watchTimeoutSeconds: { min: 1, max: 1 } });
    await waitFor("sync", () => h.store.synced);
    await waitFor("watches", () => server.openWatches === 3);
    server.set("ClusterProperty", { metadata: { name: "unrelated" }, spec: { value: "x" } });
    server.bookmark();
    const bookmarkRv = String(server.resourceVersion);
    await waitFor("bookmark", () => h.count("event:endpointslices:BOOKMARK") === 1);
    // The server ends every watch after timeoutSeconds=1; the next one starts at the bookmark.
    await waitFor("re-watch", () =>
      server.requests.some(
        (r) =>
          r.query.watch === "true" &&
          r.path.endsWith("/endpointslices") &&
          r.query.resourceVersion === bookmarkRv,
      ),
    );
    assert.ok(h.count("restart:endpointslices:closed") >= 1);
    assert.equal(h.count("relist:endpointslices"), 0);
  });

  it("relists after a watch expires (ERROR 410) and converges", async () => {
    const server = await startServer();
    server.set("ServiceImport", serviceImport("a", ["10.96.0.1"]));
    server.set("ServiceImport", serviceImport("b", ["10.96.0.2"]));
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    await waitFor("watches", () => server.openWatches === 3);
    server.faults.expireWatches();
    server.delete("ServiceImport", "demo", "a");
    server.set("ServiceImport", serviceImport("c", ["10.96.0.3"]));
    await waitFor("relist", () => h.count("relist:serviceimports") === 1);
    await waitFor(
      "converged",
      () =>
        [...h.store.objects.imports.keys()].sort().join() ===
        "ServiceImport/demo/b,ServiceImport/demo/c",
    );
    assert.equal(h.count("restart:serviceimports:expired"), 1);
    assert.equal(h.count("error:serviceimports"), 0);
  });

  it("relists after HTTP 410 on watch", async () => {
    const server = await startServer();
    server.set("ServiceImport", serviceImport("a", ["10.96.0.1"]));
    server.faults.http410OnNextWatch(3);
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    await waitFor(
      "relists",
      () =>
        h.count("relist:serviceimports") +
          h.count("relist:endpointslices") +
          h.count("relist:clusterproperties") ===
        3,
    );
    assert.equal(h.count("restart:serviceimports:gone"), 1);
    server.set("ServiceImport", serviceImport("z", ["10.96.0.26"]));
    await waitFor("later event", () => importOf(h.store, "z") !== undefined);
    assert.ok(importOf(h.store, "a"));
  });

  it("keeps the store through a run of 500s, backs off, and recovers", async () => {
    const server = await startServer();
    server.set("ServiceImport", serviceImport("keep", ["10.96.0.7"]));
    server.set("EndpointSlice", endpointSlice("keep-east", "keep", [{ addresses: ["10.1.0.7"] }]));
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    await waitFor("watches", () => server.openWatches === 3);

    server.faults.failNext(1_000_000, 500);
    server.faults.dropConnections();
    server.set("ServiceImport", serviceImport("during", ["10.96.0.8"]));
    const outageStart = Date.now();
    while (Date.now() - outageStart < 600) {
      assert.ok(importOf(h.store, "keep"), "import kept during the outage");
      assert.ok(sliceOf(h.store, "keep-east"), "slice kept during the outage");
      assert.equal(h.store.synced, true);
      await sleep(20);
    }
    const errors = h.count("error:serviceimports");
    assert.ok(errors >= 3, `errors: ${errors}`);
    // Backoff: 600 ms of 20 ms → 200 ms doubling with half jitter allows at most ~9 attempts.
    assert.ok(errors <= 10, `too many attempts: ${errors}`);
    assert.ok(
      h.logs.some((l) => l.level === "warn" && l.message.includes("serving the last good data")),
    );
    assert.equal(importOf(h.store, "during"), undefined);

    server.faults.failNext(0, 500);
    await waitFor("recovery", () => importOf(h.store, "during") !== undefined);
    assert.ok(importOf(h.store, "keep"));
  });

  it("survives dropped connections, repeatedly", async () => {
    const server = await startServer();
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    for (let round = 0; round < 5; round++) {
      await waitFor("watches", () => server.openWatches === 3);
      server.faults.dropConnections();
      server.set(
        "EndpointSlice",
        endpointSlice(`s${round}`, "svc", [{ addresses: [`10.1.0.${round + 1}`] }]),
      );
      await waitFor(`slice ${round}`, () => sliceOf(h.store, `s${round}`) !== undefined);
    }
    assert.equal(h.store.objects.slices.size, 5);
    assert.ok(h.count("error:endpointslices") + h.count("restart:endpointslices:closed") >= 5);
  });

  it("backs off when watches end at once without a word (no hot loop)", async () => {
    const server = await startServer();
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    await waitFor("watches", () => server.openWatches === 3);
    server.faults.endNextWatch(1_000_000, "endpointslices");
    server.faults.dropConnections();
    const before = server.requests.length;
    await sleep(600);
    const watches = server.requests
      .slice(before)
      .filter((r) => r.query.watch === "true" && r.path.endsWith("/endpointslices")).length;
    // 20 ms → 200 ms doubling with half jitter: at most ~9 attempts in 600 ms, not hundreds.
    assert.ok(watches >= 2 && watches <= 10, `${watches} watch requests`);
    server.faults.endNextWatch(0);
    server.set("EndpointSlice", endpointSlice("after", "svc", [{ addresses: ["10.1.0.99"] }]));
    await waitFor("recovered", () => sliceOf(h.store, "after") !== undefined);
  });

  it("restarts a stalled watch through the idle watchdog", async () => {
    const server = await startServer();
    const h = await startSource(server, { watchIdleTimeoutMs: 1000 });
    await waitFor("sync", () => h.store.synced);
    await waitFor("watches", () => server.openWatches === 3);
    // Bookmarks keep the healthy watches alive; the stalled one sends nothing.
    const keepAlive = setInterval(() => server.bookmark(), 200);
    try {
      server.faults.stallNextWatch(1, "endpointslices");
      server.faults.dropConnections();
      const changedAt = Date.now();
      server.set("EndpointSlice", endpointSlice("late", "svc", [{ addresses: ["10.1.0.77"] }]));
      await waitFor(
        "change after the watchdog",
        () => sliceOf(h.store, "late") !== undefined,
        5000,
      );
      const took = Date.now() - changedAt;
      assert.ok(took >= 800, `arrived after ${took} ms, before the watchdog could fire`);
      assert.equal(h.count("restart:endpointslices:idle"), 1);
      assert.equal(h.count("restart:serviceimports:idle"), 0);
      assert.equal(
        h.count("relist:endpointslices"),
        0,
        "resumed from its version, no relist needed",
      );
    } finally {
      clearInterval(keepAlive);
    }
  });

  it("uses v1alpha1 when the API serves only that", async () => {
    const server = await startServer();
    server.faults.serveOnlyV1alpha1(true);
    server.set("ServiceImport", serviceImport("old", ["10.96.0.30"]));
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    assert.ok(importOf(h.store, "old"));
    assert.ok(
      server.requests.some((r) => r.path === "/apis/multicluster.x-k8s.io/v1alpha1/serviceimports"),
    );
    assert.ok(
      !server.requests.some((r) => r.path === "/apis/multicluster.x-k8s.io/v1beta1/serviceimports"),
    );
    server.set("ServiceImport", serviceImport("newer", ["10.96.0.31"]));
    await waitFor("watch on v1alpha1", () => importOf(h.store, "newer") !== undefined);
  });

  it("treats a missing ClusterProperty API as synced with no objects, and picks it up later", async () => {
    const server = await startServer({ clusterProperties: false });
    const h = await startSource(server, { optionalApiRecheckMs: 300 });
    await waitFor("sync", () => h.store.synced);
    assert.equal(h.store.objects.clusterProperties.size, 0);
    assert.ok(
      !server.requests.some((r) => r.path === "/apis/about.k8s.io/v1beta1/clusterproperties"),
    );
    await sleep(700);
    assert.equal(
      h.logs.filter((l) => l.message.includes("optional API not served")).length,
      1,
      "logged once",
    );
    assert.equal(h.count("error:clusterproperties"), 0);

    server.faults.serveClusterProperties(true);
    server.set("ClusterProperty", clusterProperty("west"));
    await waitFor("property", () => h.store.objects.clusterProperties.size === 1);
  });

  it("retries discovery while the ServiceImport API is missing (store stays unsynced)", async () => {
    const server = await startServer();
    server.faults.serveServiceImports(false);
    server.set("ServiceImport", serviceImport("waiting", ["10.96.0.60"]));
    const h = await startSource(server);
    await waitFor("other resources synced", () => h.store.unsyncedSources().length === 1);
    await sleep(400);
    assert.deepEqual(h.store.unsyncedSources(), ["kube:serviceimports"]);
    assert.equal(h.store.synced, false);
    assert.ok(h.count("error:serviceimports") >= 2, `errors ${h.count("error:serviceimports")}`);
    server.faults.serveServiceImports(true);
    await waitFor("sync", () => h.store.synced);
    assert.ok(importOf(h.store, "waiting"));
  });

  it("treats a transient 404 on the ClusterProperty API as not served, then lists it", async () => {
    const server = await startServer();
    server.set("ClusterProperty", clusterProperty("east"));
    server.faults.failNext(3, 404);
    const h = await startSource(server, { optionalApiRecheckMs: 100 });
    await waitFor("sync", () => h.store.synced);
    await waitFor("property", () => h.store.objects.clusterProperties.size === 1);
  });

  it("skips a malformed object, keeps the rest, and reports the problem", async () => {
    const server = await startServer();
    server.set("ServiceImport", serviceImport("good", ["10.96.0.40"]));
    server.set("ServiceImport", serviceImport("bad", ["10.96.0.41"], "Bogus"));
    server.set(
      "EndpointSlice",
      endpointSlice("mixed", "good", [
        { addresses: ["10.1.0.40", "not-an-ip"] },
        { addresses: ["10.1.0.41"] },
      ]),
    );
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    assert.ok(importOf(h.store, "good"));
    assert.equal(importOf(h.store, "bad"), undefined);
    assert.deepEqual(
      sliceOf(h.store, "mixed")?.endpoints.map((e) => e.addresses),
      [["10.1.0.40"], ["10.1.0.41"]],
    );
    assert.ok(h.rejects.some((p) => p.name === "bad" && p.objectSkipped));
    assert.ok(h.rejects.some((p) => p.name === "mixed" && !p.objectSkipped));
    assert.equal(h.count("rejected:serviceimports"), 1);
    assert.equal(h.counts.get("objects:serviceimports"), 1);

    // A valid object that turns invalid is removed rather than served in its old form.
    server.set("ServiceImport", serviceImport("good", ["10.96.0.40"], "Bogus"));
    await waitFor("invalid update removes", () => importOf(h.store, "good") === undefined);
    server.set("ServiceImport", serviceImport("good", ["10.96.0.42"]));
    await waitFor("valid again", () => importOf(h.store, "good")?.ips[0] === "10.96.0.42");
  });

  it("survives an exception while handling an event", async () => {
    const server = await startServer();
    const store = new ObjectStore();
    let throwOnce = false;
    store.setListener({
      onChange() {
        if (throwOnce) {
          throwOnce = false;
          throw new Error("listener blew up");
        }
      },
    });
    const h = await startSource(server, { store });
    await waitFor("sync", () => store.synced);
    throwOnce = true;
    server.set("ServiceImport", serviceImport("boom", ["10.96.0.50"]));
    await waitFor("handler error counted", () => h.count("handlerError:serviceimports") === 1);
    assert.ok(
      h.logs.some((l) => l.level === "error" && l.message.includes("error handling an object")),
    );
    server.set("ServiceImport", serviceImport("after", ["10.96.0.51"]));
    await waitFor("later event", () => importOf(store, "after") !== undefined);
  });

  it("reads LIST pages with limit/continue", async () => {
    const server = await startServer();
    for (let i = 0; i < 7; i++)
      server.set("ServiceImport", serviceImport(`p${i}`, [`10.96.1.${i}`]));
    const h = await startSource(server, { listPageSize: 3 });
    await waitFor("sync", () => h.store.synced);
    assert.equal(h.store.objects.imports.size, 7);
    const pages = server.requests.filter(
      (r) => r.path.endsWith("/serviceimports") && r.query.watch === undefined,
    );
    assert.equal(pages.length, 3);
    assert.equal(pages[0]?.query.continue, undefined);
    assert.ok(pages[1]?.query.continue);
  });

  it("stops cleanly: no open watches and no more requests", async () => {
    const server = await startServer();
    const h = await startSource(server);
    await waitFor("sync", () => h.store.synced);
    await waitFor("watches", () => server.openWatches === 3);
    await h.source.stop();
    await waitFor("watches closed", () => server.openWatches === 0, 2000);
    const seen = server.requests.length;
    await sleep(300);
    assert.equal(server.requests.length, seen);
    await h.source.stop(); // idempotent
  });

  it("converges fast: fake apiserver change → store change", async () => {
    const server = await startServer();
    const store = new ObjectStore();
    let check: (() => void) | undefined;
    store.setListener({ onChange: () => check?.() });
    const h = await startSource(server, { store });
    await waitFor("sync", () => store.synced);
    await waitFor("watches", () => server.openWatches === 3);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const address = `10.2.${Math.floor(i / 200)}.${(i % 200) + 1}`;
      const seen = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`change ${i} not seen`)), 3000);
        check = () => {
          if (sliceOf(store, "conv")?.endpoints[0]?.addresses[0] === address) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      const started = process.hrtime.bigint();
      server.set("EndpointSlice", endpointSlice("conv", "svc", [{ addresses: [address] }]));
      await seen;
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    check = undefined;
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    console.log(
      `      kube source convergence over ${times.length} changes: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
    );
    assert.equal(times.length, 50);
    assert.ok(p99 < 2000, `p99 ${p99} ms`);
    assert.equal(h.count("event:endpointslices:MODIFIED"), 49);
  });
});

describe("loadKubeConfig", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "kubeconfig-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function writeConfig(name: string, server: string): string {
    const path = join(dir, name);
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server } }],
        users: [{ name, user: { token: "t" } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
      }),
    );
    return path;
  }

  it("prefers an explicit path, even inside a cluster", () => {
    const path = writeConfig("explicit", "https://explicit.example:6443");
    const env = {
      env: { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" },
      home: dir,
      fileExists: () => true,
    };
    assert.equal(
      loadKubeConfig(path, env).getCurrentCluster()?.server,
      "https://explicit.example:6443",
    );
  });

  it("uses the service account inside a cluster", () => {
    const env = {
      env: { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" },
      home: dir,
      fileExists: () => true,
    };
    const saved = {
      host: process.env.KUBERNETES_SERVICE_HOST,
      port: process.env.KUBERNETES_SERVICE_PORT,
    };
    // client-node's loadFromCluster reads process.env itself.
    process.env.KUBERNETES_SERVICE_HOST = "10.0.0.1";
    process.env.KUBERNETES_SERVICE_PORT = "443";
    try {
      assert.equal(
        loadKubeConfig(undefined, env).getCurrentCluster()?.server,
        "https://10.0.0.1:443",
      );
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    }
  });

  it("falls back to $KUBECONFIG, then ~/.kube/config, else fails", () => {
    const fromEnv = writeConfig("fromenv", "https://env.example:6443");
    const envOnly = {
      env: { KUBECONFIG: fromEnv },
      home: dir,
      fileExists: (p: string) => p === fromEnv,
    };
    assert.equal(
      loadKubeConfig(undefined, envOnly).getCurrentCluster()?.server,
      "https://env.example:6443",
    );

    mkdirSync(join(dir, ".kube"));
    const homeConfig = writeConfig(join(".kube", "config"), "https://home.example:6443");
    const homeOnly = { env: {}, home: dir, fileExists: (p: string) => p === homeConfig };
    assert.equal(
      loadKubeConfig(undefined, homeOnly).getCurrentCluster()?.server,
      "https://home.example:6443",
    );

    const nothing = { env: {}, home: dir, fileExists: () => false };
    assert.throws(() => loadKubeConfig(undefined, nothing), /no Kubernetes configuration/);
  });
});
