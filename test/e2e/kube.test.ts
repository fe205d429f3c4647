// The Kubernetes source end to end: the real server (startApp, --source kube) driving the real
// @kubernetes/client-node against the fake apiserver over HTTP, checked through DNS queries.

import assert from "node:assert/strict";
import { startApp, type App } from "../../src/app.js";
import { createLogger } from "../../src/observe/log.js";
import { query, type Reply } from "../support/dns-client.js";
import { addresses, RCODE } from "../support/expect.js";
import {
  startFakeApiServer,
  type FakeApiServer,
  type FakeKind,
} from "../support/fake-apiserver.js";
import { endpointSlice, serviceImport } from "../support/k8s-objects.js";
import { startTestServer, testConfig } from "../support/server.js";
import { name, NS, specObjects } from "../support/spec-fixture.js";

function load(api: FakeApiServer, objects: Record<string, unknown>[]): void {
  for (const object of objects) api.set(object.kind as FakeKind, object);
}

async function startKubeApp(api: FakeApiServer, extra: string[] = []): Promise<App> {
  return startApp(
    testConfig(["--kubeconfig", api.kubeconfigPath, ...extra]),
    createLogger("silent"),
  );
}

/** Poll until `check` passes; returns the milliseconds it took. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 10000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

const answerA = async (port: number, qname: string): Promise<string> => {
  const reply = await query(port, qname);
  return reply.header.rcode === 0
    ? addresses(reply.answers).join(",")
    : `rcode ${reply.header.rcode}`;
};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Canonical text of a reply for comparing two servers. */
function canonical(reply: Reply): string {
  const records = (list: Reply["answers"]) =>
    list
      .filter((r) => r.type !== 41)
      .map(
        (r) =>
          `${r.name} ${r.ttl} ${r.type} ${JSON.stringify({ ...r, name: undefined, ttl: undefined, serial: undefined })}`,
      )
      .sort()
      .join("\n");
  return [
    reply.header.rcode,
    reply.header.aa,
    reply.header.tc,
    records(reply.answers),
    records(reply.authorities),
    records(reply.additionals),
  ].join("|");
}

describe("Kubernetes source end to end", function () {
  this.timeout(60000);
  let api: FakeApiServer;
  let app: App | undefined;

  beforeEach(async () => {
    api = await startFakeApiServer();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await api.close();
  });

  it("answers SERVFAIL until the first LIST succeeds, then the right answers", async () => {
    load(api, specObjects());
    api.faults.failNext(3, 500);
    app = await startKubeApp(api);
    const first = await query(app.dns.port, name("v4svc"));
    assert.equal(first.header.rcode, RCODE.SERVFAIL);
    const ms = await waitFor(
      async () => (await answerA(app!.dns.port, name("v4svc"))) === "10.0.0.1",
    );
    console.log(`      synced after 3 failed requests in ${ms.toFixed(0)} ms`);
  });

  it("serves the same answers as the file source for the same objects", async () => {
    load(api, specObjects());
    app = await startKubeApp(api);
    await waitFor(async () => (await query(app!.dns.port, name("v4svc"))).header.rcode === 0);
    const file = await startTestServer(specObjects());
    try {
      const questions: [string, string][] = [
        [name("v4svc"), "A"],
        [name("v4svc"), "SRV"],
        [`_foo._udp.${name("v4svc")}`, "SRV"],
        [name("dual"), "AAAA"],
        [name("noips"), "A"],
        [name("hl"), "A"],
        [name("hl"), "AAAA"],
        [name("hl"), "SRV"],
        [`_http._tcp.${name("hl")}`, "SRV"],
        [`pod-0.name.extra.${name("hl")}`, "A"],
        [`fd00--0.c2.${name("hl")}`, "AAAA"],
        [`c1.${name("hl")}`, "A"],
        [name("empty"), "A"],
        [name("nosuch"), "A"],
        ["dns-version.clusterset.local", "TXT"],
      ];
      for (const [qname, type] of questions) {
        for (const transport of ["udp", "tcp"] as const) {
          const fromKube = await query(app.dns.port, qname, { type, transport, edns: {} });
          const fromFile = await query(file.port, qname, { type, transport, edns: {} });
          assert.equal(canonical(fromKube), canonical(fromFile), `${qname} ${type} ${transport}`);
        }
      }
    } finally {
      await file.stop();
    }
  });

  it("creates, updates and deletes show up in answers; measures convergence", async () => {
    load(api, specObjects());
    app = await startKubeApp(api);
    const port = app.dns.port;
    await waitFor(async () => (await answerA(port, name("v4svc"))) === "10.0.0.1");
    const timings: number[] = [];
    for (let i = 1; i <= 20; i++) {
      api.set("ServiceImport", serviceImport(NS, "churn", { ips: [`10.77.0.${i}`] }));
      timings.push(
        await waitFor(async () => (await answerA(port, name("churn"))) === `10.77.0.${i}`),
      );
    }
    assert.ok(api.delete("ServiceImport", NS, "churn"));
    timings.push(
      await waitFor(async () => (await answerA(port, name("churn"))) === `rcode ${RCODE.NXDOMAIN}`),
    );
    console.log(
      `      event → answer: p50 ${percentile(timings, 50).toFixed(1)} ms, p99 ${percentile(timings, 99).toFixed(1)} ms over ${timings.length} changes`,
    );
    assert.ok(percentile(timings, 99) < 2000);
  });

  it("an endpoint going not ready leaves the headless answer", async () => {
    load(api, specObjects());
    app = await startKubeApp(api);
    const port = app.dns.port;
    await waitFor(async () => (await answerA(port, name("hl"))).includes("10.2.0.2"));
    api.set(
      "EndpointSlice",
      endpointSlice(NS, "hl-c2-v4", {
        service: "hl",
        cluster: "c2",
        endpoints: [{ addresses: ["10.2.0.2"], ready: false }],
        ports: [{ name: "http", protocol: "TCP", port: 8080 }],
      }),
    );
    await waitFor(async () => !(await answerA(port, name("hl"))).includes("10.2.0.2"));
    assert.equal((await query(port, `10-2-0-2.c2.${name("hl")}`)).header.rcode, RCODE.NXDOMAIN);
  });

  it("a malformed object is skipped and the rest served", async () => {
    load(api, specObjects());
    api.set("ServiceImport", serviceImport(NS, "badtype", { type: "Weird", ips: ["10.9.9.9"] }));
    app = await startKubeApp(api);
    const port = app.dns.port;
    await waitFor(async () => (await answerA(port, name("v4svc"))) === "10.0.0.1");
    assert.equal((await query(port, name("badtype"))).header.rcode, RCODE.NXDOMAIN);
  });

  it("works against an API that serves only v1alpha1 ServiceImports", async () => {
    api.faults.serveOnlyV1alpha1(true);
    load(api, specObjects());
    app = await startKubeApp(api);
    await waitFor(async () => (await answerA(app!.dns.port, name("dual"))) === "10.0.0.2");
    assert.ok(api.requests.some((r) => r.path.includes("/multicluster.x-k8s.io/v1alpha1/")));
    assert.ok(
      !api.requests.some((r) => r.path.includes("/multicluster.x-k8s.io/v1beta1/serviceimports")),
    );
  });

  it("asks for bookmarks and selects slices by the service-name label", async () => {
    load(api, specObjects());
    app = await startKubeApp(api);
    await waitFor(async () => (await answerA(app!.dns.port, name("v4svc"))) === "10.0.0.1");
    await waitFor(() =>
      Promise.resolve(api.requests.some((r) => r.query.watch === "true" || r.query.watch === "1")),
    );
    const slices = api.requests.filter((r) => r.path.endsWith("/endpointslices"));
    assert.ok(slices.length >= 2, "list and watch");
    for (const request of slices) {
      assert.equal(request.query.labelSelector, "multicluster.kubernetes.io/service-name");
    }
    const watches = api.requests.filter((r) => r.query.watch === "true" || r.query.watch === "1");
    assert.ok(watches.every((r) => r.query.allowWatchBookmarks === "true"));
  });

  describe("faults: answers stay right while the apiserver misbehaves", () => {
    const faults: [string, (api: FakeApiServer) => void][] = [
      ["watch expiry (ERROR 410)", (a) => a.faults.expireWatches()],
      [
        "HTTP 410 on watch",
        (a) => {
          a.faults.http410OnNextWatch(3);
          a.faults.dropConnections();
        },
      ],
      [
        "500s for several seconds",
        (a) => {
          a.faults.failNext(12, 500);
          a.faults.dropConnections();
        },
      ],
      ["dropped connections", (a) => a.faults.dropConnections()],
      [
        "stalled watch",
        (a) => {
          a.faults.stallNextWatch(1, "serviceimports");
          a.faults.expireWatches();
        },
      ],
    ];
    for (const [label, inject] of faults) {
      it(label, async () => {
        load(api, specObjects());
        app = await startKubeApp(api, ["--watch-idle-timeout", "2"]);
        const port = app.dns.port;
        await waitFor(async () => (await answerA(port, name("v4svc"))) === "10.0.0.1");
        inject(api);
        // While the fault plays out, the last good data keeps being served.
        const deadline = Date.now() + 1500;
        let checked = 0;
        while (Date.now() < deadline) {
          assert.equal(await answerA(port, name("v4svc")), "10.0.0.1");
          assert.equal(await answerA(port, `pod-0.c1.${name("hl")}`), "10.1.0.1");
          checked++;
          await new Promise((r) => setTimeout(r, 20));
        }
        // And the source recovers: a change made now reaches the answers.
        api.set("ServiceImport", serviceImport(NS, "after", { ips: ["10.88.0.1"] }));
        const ms = await waitFor(
          async () => (await answerA(port, name("after"))) === "10.88.0.1",
          40000,
        );
        console.log(
          `      ${checked} checks correct during the fault; recovered in ${ms.toFixed(0)} ms`,
        );
      });
    }
  });
});
