import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKubeConfig } from "../../../src/source/kube-config.js";
import {
  inventoryFromStore,
  InventoryLoadError,
  loadFileInventory,
  loadKubeInventory,
} from "../../../src/debug/inventory.js";
import { RecentProblems } from "../../../src/debug/recent.js";
import { startFakeApiServer, type FakeApiServer } from "../../support/fake-apiserver.js";
import { clusterProperty, endpointSlice, serviceImport } from "../../support/k8s-objects.js";
import { ALL_REASONS, FIXTURES, inventoryOf } from "./helpers.js";
import type { ValidationProblem } from "../../../src/zone/types.js";

describe("debug/inventory", function () {
  this.timeout(15_000);

  it("keeps every object of our kinds with its problems; later duplicates win", async () => {
    const inventory = await loadFileInventory(ALL_REASONS);
    assert.equal(inventory.entries.length, 23);
    assert.equal(inventory.ignored, 1);
    assert.deepEqual(inventory.errors, []);
    const dups = inventory.entries.filter((e) => e.name === "dup");
    assert.deepEqual(
      dups.map((e) => [
        e.supersededBy !== undefined,
        e.object?.kind === "ServiceImport" && e.object.ips,
      ]),
      [
        [true, ["10.9.2.1"]],
        [false, ["10.9.2.2"]],
      ],
    );
    assert.deepEqual(inventory.objects.imports.get("ServiceImport/lab/dup")?.ips, ["10.9.2.2"]);
    const fqdn = inventory.entries.find((e) => e.name === "hl-fqdn");
    assert.equal(fqdn?.object, undefined);
    assert.equal(fqdn?.problems[0]?.path, "addressType");
    assert.ok(fqdn?.raw !== undefined);
  });

  it("a path that is not there is a load error, not an empty inventory", async () => {
    await assert.rejects(loadFileInventory(`${FIXTURES}/nope.yaml`), (error: unknown) => {
      assert.ok(error instanceof InventoryLoadError);
      assert.match(error.message, /^file source: .*nope\.yaml: does not exist$/);
      return true;
    });
  });

  it("from a running server's store: validated objects plus the problems seen", () => {
    const inventory = inventoryOf([
      serviceImport("demo", "web", { type: "Headless" }),
      endpointSlice("demo", "web-east", {
        service: "web",
        cluster: "east",
        endpoints: [{ addresses: ["10.1.0.1"] }],
      }),
    ]);
    const recent = new RecentProblems(3);
    const skipped: ValidationProblem = {
      kind: "EndpointSlice",
      namespace: "demo",
      name: "web-west",
      path: 'metadata.labels["multicluster.kubernetes.io/source-cluster"]',
      reason: "missing",
      objectSkipped: true,
    };
    // A slice that was skipped once but is valid now: its old whole-object problem is dropped.
    const fixedSince: ValidationProblem = { ...skipped, name: "web-east" };
    recent.record(skipped);
    recent.record(fixedSince);
    const fromStore = inventoryFromStore(inventory.objects, recent.list());
    assert.deepEqual(
      fromStore.entries.map((e) => [e.name, e.object !== undefined, e.problems.length, e.raw]),
      [
        ["web", true, 0, undefined],
        ["web-east", true, 0, undefined],
        ["web-west", false, 1, undefined],
      ],
    );
  });

  it("RecentProblems is bounded and keeps the newest", () => {
    const recent = new RecentProblems(2);
    for (const name of ["a", "b", "c", "a"])
      recent.record({
        kind: "ServiceImport",
        namespace: "n",
        name,
        path: "",
        reason: "x",
        objectSkipped: true,
      });
    assert.deepEqual(
      recent.list().map((p) => p.name),
      ["c", "a"],
    );
  });

  describe("kube: one LIST per resource against the fake apiserver", () => {
    let server: FakeApiServer;
    beforeEach(async () => {
      server = await startFakeApiServer();
    });
    afterEach(() => server.close());

    it("keeps raw objects, rejects included, and finds slices that lost their service-name label", async () => {
      server.set("ServiceImport", serviceImport("demo", "web", { type: "Headless" }));
      server.set("ServiceImport", serviceImport("demo", "bad", { type: "LoadBalancer" }));
      server.set(
        "EndpointSlice",
        endpointSlice("demo", "web-east", {
          service: "web",
          cluster: "east",
          endpoints: [{ addresses: ["10.1.0.1"] }],
        }),
      );
      const unlabelled = endpointSlice("demo", "web-west", {
        service: "web",
        cluster: "west",
        endpoints: [{ addresses: ["10.2.0.1"] }],
      });
      delete (unlabelled.metadata as { labels: Record<string, string> }).labels[
        "multicluster.kubernetes.io/service-name"
      ];
      server.set("EndpointSlice", unlabelled);
      server.set("ClusterProperty", clusterProperty("east"));
      const inventory = await loadKubeInventory(loadKubeConfig(server.kubeconfigPath), {
        pageSize: 1,
      });
      assert.equal(inventory.source, "kube");
      const summary = inventory.entries
        .map(
          (e) =>
            `${e.kind}/${e.namespace}/${e.name} ${e.object ? "ok" : (e.problems[0]?.path ?? "")}`,
        )
        .sort();
      assert.deepEqual(summary, [
        "ClusterProperty//cluster.clusterset.k8s.io ok",
        "EndpointSlice/demo/web-east ok",
        'EndpointSlice/demo/web-west metadata.labels["multicluster.kubernetes.io/service-name"]',
        "ServiceImport/demo/bad spec.type",
        "ServiceImport/demo/web ok",
      ]);
      assert.equal(inventory.objects.slices.size, 1);
      // LIST pages were followed (page size 1).
      assert.ok(server.requests.some((r) => r.query.continue !== undefined));
    });

    it("a missing ServiceImport API is a clear error", async () => {
      server.faults.serveServiceImports(false);
      await assert.rejects(
        loadKubeInventory(loadKubeConfig(server.kubeconfigPath)),
        /kube: the ServiceImport API \(multicluster\.x-k8s\.io\) is not served/,
      );
    });

    it("an apiserver error is one line naming it", async () => {
      server.faults.failNext(1000, 500);
      await assert.rejects(
        loadKubeInventory(loadKubeConfig(server.kubeconfigPath)),
        (error: unknown) => {
          assert.ok(error instanceof InventoryLoadError);
          assert.match(error.message, /^kube: HTTP 500/);
          return true;
        },
      );
    });

    it("gives up after the time limit when the apiserver never answers", async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => {
        sockets.add(socket);
      });
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const dir = mkdtempSync(join(tmpdir(), "silent-apiserver-"));
      const kubeconfig = join(dir, "kubeconfig");
      const { port } = silent.address() as AddressInfo;
      writeFileSync(
        kubeconfig,
        [
          "apiVersion: v1",
          "kind: Config",
          "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:" +
            String(port) +
            "', insecure-skip-tls-verify: true}}]",
          "users: [{name: u, user: {}}]",
          "contexts: [{name: x, context: {cluster: c, user: u}}]",
          "current-context: x",
        ].join("\n"),
      );
      const started = Date.now();
      try {
        await assert.rejects(
          loadKubeInventory(loadKubeConfig(kubeconfig), { timeoutMs: 300 }),
          (error: unknown) => {
            assert.ok(error instanceof InventoryLoadError);
            assert.equal(error.message, "kube: no complete LIST from the apiserver within 0.3 s");
            return true;
          },
        );
        assert.ok(Date.now() - started < 3000);
      } finally {
        for (const socket of sockets) socket.destroy();
        silent.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
