import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import {
  startFakeApiServer,
  parseLabelSelector,
  type FakeApiServer,
} from "../../support/fake-apiserver.js";

/** The parts of API JSON these tests read (a loose view of Status, lists, objects, discovery). */
interface ApiJson {
  kind?: string;
  apiVersion?: string;
  code?: number;
  metadata: { name?: string; resourceVersion?: string; continue?: string };
  items: ApiJson[];
  versions: { version: string }[];
  resources: { name: string }[];
  groups: { name: string }[];
}

interface WatchEvent {
  type: string;
  object: ApiJson;
}

/** An open watch stream collecting its NDJSON events. */
interface WatchStream {
  status: number;
  events: WatchEvent[];
  ended: Promise<void>;
  close(): void;
  /** Resolves when at least `n` events have arrived (rejects after 2 s). */
  waitFor(n: number): Promise<WatchEvent[]>;
}

function openWatch(server: FakeApiServer, pathAndQuery: string): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const events: WatchEvent[] = [];
    let buffer = "";
    const waiters: (() => void)[] = [];
    const req = http.get(`${server.url}${pathAndQuery}`, (res) => {
      const ended = new Promise<void>((done) => {
        res.on("end", done);
        res.on("close", done);
        res.on("error", () => done());
      });
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim() !== "") events.push(JSON.parse(line) as WatchEvent);
          newline = buffer.indexOf("\n");
        }
        for (const waiter of waiters.splice(0)) waiter();
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        ended,
        close: () => req.destroy(),
        waitFor: async (n) => {
          const deadline = Date.now() + 2000;
          while (events.length < n) {
            if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} events`);
            await new Promise<void>((r) => {
              waiters.push(r);
              setTimeout(r, 50);
            });
          }
          return events;
        },
      });
    });
    req.on("error", reject);
  });
}

async function getJson(
  server: FakeApiServer,
  pathAndQuery: string,
): Promise<{ status: number; body: ApiJson }> {
  const response = await fetch(`${server.url}${pathAndQuery}`);
  return { status: response.status, body: (await response.json()) as ApiJson };
}

function slice(name: string, labels: Record<string, string>): Record<string, unknown> {
  return {
    metadata: { name, namespace: "ns", labels },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.0.0.1"] }],
  };
}

const MCS = { "multicluster.kubernetes.io/service-name": "svc" };

describe("fake apiserver", () => {
  let server: FakeApiServer;
  const streams: WatchStream[] = [];

  beforeEach(async () => {
    server = await startFakeApiServer();
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server.close();
  });

  async function watch(pathAndQuery: string): Promise<WatchStream> {
    const stream = await openWatch(server, pathAndQuery);
    streams.push(stream);
    return stream;
  }

  it("writes a kubeconfig pointing at itself", () => {
    const config = JSON.parse(readFileSync(server.kubeconfigPath, "utf8")) as {
      clusters: { cluster: { server: string; "insecure-skip-tls-verify": boolean } }[];
    };
    assert.equal(config.clusters[0]?.cluster.server, `http://127.0.0.1:${server.port}`);
    assert.equal(config.clusters[0]?.cluster["insecure-skip-tls-verify"], true);
  });

  it("serves discovery for the three groups, and only v1alpha1 when told", async () => {
    const group = await getJson(server, "/apis/multicluster.x-k8s.io");
    assert.deepEqual(
      group.body.versions.map((v) => v.version),
      ["v1beta1", "v1alpha1"],
    );
    const resources = await getJson(server, "/apis/about.k8s.io/v1beta1");
    assert.deepEqual(
      resources.body.resources.map((r) => r.name),
      ["clusterproperties"],
    );
    server.faults.serveOnlyV1alpha1(true);
    const only = await getJson(server, "/apis/multicluster.x-k8s.io");
    assert.deepEqual(
      only.body.versions.map((v) => v.version),
      ["v1alpha1"],
    );
    assert.equal(
      (await getJson(server, "/apis/multicluster.x-k8s.io/v1beta1/serviceimports")).status,
      404,
    );
    server.faults.serveClusterProperties(false);
    assert.equal((await getJson(server, "/apis/about.k8s.io/v1beta1")).status, 404);
    const all = await getJson(server, "/apis");
    assert.deepEqual(
      all.body.groups.map((g) => g.name),
      ["multicluster.x-k8s.io", "discovery.k8s.io"],
    );
  });

  it("lists with a global resourceVersion, label selectors and paging", async () => {
    const rv1 = server.set("EndpointSlice", slice("a", MCS));
    server.set("EndpointSlice", slice("b", {}));
    const rv3 = server.set("EndpointSlice", slice("c", { ...MCS, extra: "x" }));
    assert.equal(Number(rv3), Number(rv1) + 2);
    const all = await getJson(server, "/apis/discovery.k8s.io/v1/endpointslices");
    assert.equal(all.body.metadata.resourceVersion, rv3);
    assert.deepEqual(
      all.body.items.map((i) => i.metadata.name),
      ["a", "b", "c"],
    );
    assert.equal(
      all.body.items[0]?.kind,
      undefined,
      "list items carry no kind, like the real apiserver",
    );
    const selected = await getJson(
      server,
      "/apis/discovery.k8s.io/v1/endpointslices?labelSelector=multicluster.kubernetes.io/service-name",
    );
    assert.deepEqual(
      selected.body.items.map((i) => i.metadata.name),
      ["a", "c"],
    );
    const equality = await getJson(
      server,
      "/apis/discovery.k8s.io/v1/endpointslices?labelSelector=extra%3Dx",
    );
    assert.deepEqual(
      equality.body.items.map((i) => i.metadata.name),
      ["c"],
    );
    const page1 = await getJson(server, "/apis/discovery.k8s.io/v1/endpointslices?limit=2");
    assert.equal(page1.body.items.length, 2);
    const token = page1.body.metadata.continue as string;
    assert.ok(token);
    const page2 = await getJson(
      server,
      `/apis/discovery.k8s.io/v1/endpointslices?limit=2&continue=${token}`,
    );
    assert.deepEqual(
      page2.body.items.map((i) => i.metadata.name),
      ["c"],
    );
    assert.equal(page2.body.metadata.continue, undefined);
    assert.equal(page2.body.metadata.resourceVersion, rv3);
  });

  it("parses label selectors", () => {
    assert.deepEqual(parseLabelSelector("a, !b,c=d,e==f,g!=h"), [
      { op: "exists", key: "a" },
      { op: "notExists", key: "b" },
      { op: "equals", key: "c", value: "d" },
      { op: "equals", key: "e", value: "f" },
      { op: "notEquals", key: "g", value: "h" },
    ]);
  });

  it("streams watch events from a resourceVersion, filtered by label selector", async () => {
    const rv = server.set("EndpointSlice", slice("old", MCS));
    server.set("EndpointSlice", slice("replayed", MCS));
    const stream = await watch(
      `/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${rv}` +
        `&labelSelector=multicluster.kubernetes.io/service-name&allowWatchBookmarks=true`,
    );
    assert.equal(stream.status, 200);
    server.set("EndpointSlice", slice("other", {}));
    server.set("EndpointSlice", slice("replayed", { ...MCS, changed: "1" }));
    server.set("EndpointSlice", slice("replayed", {})); // no longer matches → DELETED
    server.set("EndpointSlice", slice("other", MCS)); // now matches → ADDED
    server.delete("EndpointSlice", "ns", "old");
    server.bookmark();
    const events = await stream.waitFor(6);
    assert.deepEqual(
      events.map((e) => `${e.type}:${e.object.metadata.name ?? ""}`),
      [
        "ADDED:replayed",
        "MODIFIED:replayed",
        "DELETED:replayed",
        "ADDED:other",
        "DELETED:old",
        "BOOKMARK:",
      ],
    );
    assert.equal(events[0]?.object.kind, "EndpointSlice");
    assert.equal(events[0]?.object.apiVersion, "discovery.k8s.io/v1");
    assert.equal(events[5]?.object.metadata.resourceVersion, String(server.resourceVersion));
    assert.deepEqual(
      server.requests.map((r) => r.query.allowWatchBookmarks),
      ["true"],
    );
  });

  it("accepts /watch/ paths and namespaced paths", async () => {
    const stream = await watch(
      "/apis/multicluster.x-k8s.io/v1alpha1/watch/namespaces/ns/serviceimports?resourceVersion=1",
    );
    server.set("ServiceImport", {
      metadata: { name: "elsewhere", namespace: "other" },
      spec: { type: "Headless" },
    });
    server.set("ServiceImport", {
      metadata: { name: "here", namespace: "ns" },
      spec: { type: "Headless" },
    });
    const events = await stream.waitFor(1);
    assert.equal(events[0]?.object.metadata.name, "here");
    assert.equal(events[0]?.object.apiVersion, "multicluster.x-k8s.io/v1alpha1");
  });

  it("answers a too-old resourceVersion with an ERROR 410 event", async () => {
    const small = await startFakeApiServer({ historySize: 2 });
    try {
      for (let i = 0; i < 5; i++)
        small.set("ClusterProperty", { metadata: { name: `p${i}` }, spec: { value: "x" } });
      const stream = await openWatch(
        small,
        "/apis/about.k8s.io/v1beta1/clusterproperties?watch=true&resourceVersion=2",
      );
      await stream.ended;
      assert.equal(stream.events.length, 1);
      assert.equal(stream.events[0]?.type, "ERROR");
      assert.equal(stream.events[0]?.object.code, 410);
    } finally {
      await small.close();
    }
  });

  it("closes watches after timeoutSeconds", async () => {
    const started = Date.now();
    const stream = await watch(
      "/apis/about.k8s.io/v1beta1/clusterproperties?watch=true&resourceVersion=1&timeoutSeconds=1",
    );
    await stream.ended;
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 3000, `closed after ${elapsed} ms`);
  });

  it("injects failures: failNext, http410OnNextWatch, expireWatches, stall, drop", async () => {
    server.faults.failNext(2, 503);
    assert.equal((await getJson(server, "/apis")).status, 503);
    assert.equal((await getJson(server, "/apis")).status, 503);
    assert.equal((await getJson(server, "/apis")).status, 200);

    server.faults.http410OnNextWatch(1);
    const gone = await watch(
      "/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=1",
    );
    assert.equal(gone.status, 410);

    const expiring = await watch(
      "/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=1",
    );
    assert.equal(expiring.status, 200);
    server.set("EndpointSlice", slice("x", MCS));
    server.set("EndpointSlice", slice("y", MCS));
    await expiring.waitFor(2);
    server.faults.expireWatches();
    await expiring.ended;
    assert.equal(expiring.events.at(-1)?.type, "ERROR");
    assert.equal(expiring.events.at(-1)?.object.code, 410);
    const tooOld = await watch(
      "/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=1",
    );
    await tooOld.ended;
    assert.equal(tooOld.events[0]?.object.code, 410);
    const current = await watch(
      `/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${server.resourceVersion}`,
    );
    assert.equal(server.openWatches, 1);

    server.faults.stallNextWatch(1);
    const stalled = await watch(
      "/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=1",
    );
    assert.equal(stalled.status, 200);
    server.set("EndpointSlice", slice("z", MCS));
    await current.waitFor(1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(stalled.events.length, 0);

    server.faults.dropConnections();
    await Promise.all([current.ended, stalled.ended]);
    assert.equal(server.openWatches, 0);
  });
});
