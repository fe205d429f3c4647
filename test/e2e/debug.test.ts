// The debugging features as users meet them: the explain/dump/lint subcommands as child
// processes, /debug/* on a running server's ops port, and locality ordering over real sockets.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import type { ExplainReport } from "../../src/debug/explain.js";
import type { LintReport } from "../../src/debug/lint.js";
import { query } from "../support/dns-client.js";
import { startFakeApiServer } from "../support/fake-apiserver.js";
import { writeBrokenFolder } from "../unit/debug/helpers.js";
import { clusterProperty, endpointSlice, serviceImport } from "../support/k8s-objects.js";
import { startTestServer, type TestServer } from "../support/server.js";

const CLI = path.resolve("src/cli.ts");
const FIXTURES = path.resolve("test/fixtures/debug");
const DEMO = path.resolve("examples/clusterset.yaml");

function cli(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    encoding: "utf8",
    timeout: 20000,
  });
}

/** Like cli(), without blocking the event loop (the fake apiserver runs in this process). */
function cliAsync(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill(), 30_000);
  return new Promise((resolve) =>
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

const HEADLESS = [
  serviceImport("demo", "web", { type: "Headless" }),
  endpointSlice("demo", "web-alpha", {
    service: "web",
    cluster: "alpha",
    endpoints: [{ addresses: ["10.1.0.1"] }],
    ports: [{ name: "http", protocol: "TCP", port: 80 }],
  }),
  endpointSlice("demo", "web-zulu", {
    service: "web",
    cluster: "zulu",
    endpoints: [{ addresses: ["10.9.0.1"] }, { addresses: ["10.9.0.2"], ready: false }],
    ports: [{ name: "http", protocol: "TCP", port: 80 }],
  }),
];

describe("debugging (e2e)", function () {
  this.timeout(60_000);

  describe("subcommands", () => {
    it("explain prints the answer and why, exit 0", () => {
      const result = cli([
        "explain",
        "db.shop.svc.clusterset.local",
        "--source",
        `file:${FIXTURES}/mistakes/not-ready.yaml`,
      ]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(
        result.stdout,
        /^Question: db\.shop\.svc\.clusterset\.local\. A\nAnswer: {3}NXDOMAIN\n/,
      );
      assert.match(result.stdout, /\[NOT_READY\] conditions\.ready is false/);
      assert.match(result.stdout, /warning NO_READY_ENDPOINTS/);
    });

    it("explain --output json carries the reason codes", () => {
      const result = cli([
        "explain",
        "hl.lab.svc.clusterset.local",
        "SRV",
        "--output",
        "json",
        "--source",
        `file:${FIXTURES}/all-reasons.yaml`,
        "--prefer-local-srv",
      ]);
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout) as ExplainReport;
      assert.equal(report.answer.rcode, "NOERROR");
      assert.equal(report.localClusterId, "east");
      assert.deepEqual(
        report.answer.answer.map((r) => r.data.split(" ")[0]),
        ["0", "1", "1", "1", "1"],
      );
      const codes = new Set<string>(report.findings.map((f) => f.code));
      for (const code of [
        "NOT_READY",
        "BAD_ADDRESS",
        "FQDN_SLICE",
        "NO_CLUSTER_LABEL",
        "UNNAMED_PORT",
        "NO_PORT_NUMBER",
      ])
        assert.ok(codes.has(code), code);
    });

    it("dump prints the zone file", () => {
      const result = cli(["dump", "--source", `file:${DEMO}`]);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.split("\n");
      assert.match(lines[0] ?? "", /^; clusterset\.local\. serial \d+, generation 1$/);
      assert.equal(lines[1], "$ORIGIN clusterset.local.");
      assert.match(lines[3] ?? "", /^clusterset\.local\.\t5\tIN\tSOA\t/);
      assert.ok(lines.includes("myservice.demo.svc.clusterset.local.\t5\tIN\tA\t10.42.0.10"));
    });

    it("lint exits 1 with findings, 0 when clean, and reports JSON", () => {
      const failing = cli([
        "lint",
        "--source",
        `file:${FIXTURES}/all-reasons.yaml`,
        "--output",
        "json",
      ]);
      assert.equal(failing.status, 1, failing.stderr);
      const report = JSON.parse(failing.stdout) as LintReport;
      assert.equal(report.failed, true);
      assert.deepEqual(report.counts, { error: 10, warning: 28, info: 6 });
      const clean = cli(["lint", "--source", `file:${DEMO}`]);
      assert.equal(clean.status, 0, clean.stderr);
      assert.match(clean.stdout, /— clean\n$/);
      const folder = writeBrokenFolder();
      const broken = cli(["lint", "--source", `file:${folder.dir}`]);
      const explained = cli([
        "explain",
        "a.b.svc.clusterset.local",
        "--source",
        `file:${folder.dir}`,
      ]);
      folder.remove();
      assert.equal(broken.status, 1);
      assert.match(broken.stdout, /MANIFEST_ERROR/);
      // explain and dump describe what the server would serve: nothing, it would not load this.
      assert.equal(explained.status, 2);
      assert.match(
        explained.stderr,
        /^clusterset-dns: --source: file source: .*broken\.yaml: document 1, line 7 .*run "clusterset-dns lint"\)\n$/,
      );
    });

    it("--source kube: explain and lint from one LIST of the apiserver", async () => {
      const apiserver = await startFakeApiServer();
      try {
        for (const object of HEADLESS)
          apiserver.set(
            object.kind === "ServiceImport" ? "ServiceImport" : "EndpointSlice",
            object,
          );
        apiserver.set("ClusterProperty", clusterProperty("zulu"));
        const kube = ["--source", "kube", "--kubeconfig", apiserver.kubeconfigPath];
        const explained = await cliAsync([
          "explain",
          "web.demo.svc.clusterset.local",
          "--output",
          "json",
          ...kube,
        ]);
        assert.equal(explained.status, 0, explained.stderr);
        const report = JSON.parse(explained.stdout) as ExplainReport;
        assert.equal(report.localClusterId, "zulu");
        assert.deepEqual(
          report.answer.answer.map((r) => r.data),
          ["10.9.0.1", "10.1.0.1"],
        );
        assert.deepEqual(
          report.findings.map((f) => `${f.code} ${f.object} ${f.path}`),
          ["NOT_READY EndpointSlice/demo/web-zulu endpoints[1]"],
        );
        const linted = await cliAsync(["lint", ...kube]);
        assert.equal(linted.status, 0, linted.stderr);
        assert.match(linted.stdout, /^kube: 4 object\(s\) checked, .*— clean$/m);
      } finally {
        await apiserver.close();
      }
    });

    for (const [args, pattern] of [
      [["explain"], /^clusterset-dns: explain: missing <name>/],
      [["nonsense"], /^clusterset-dns: unknown command "nonsense"/],
      [
        ["lint", "--source", "file:/nonexistent/x.yaml"],
        /^clusterset-dns: --source: file source: \/nonexistent\/x\.yaml: does not exist$/,
      ],
    ] as const) {
      it(`bad usage ${JSON.stringify(args)} exits 2 with one line`, () => {
        const result = cli([...args]);
        assert.equal(result.status, 2, result.stdout);
        const lines = result.stderr.trimEnd().split("\n");
        assert.equal(lines.length, 1, result.stderr);
        assert.match(lines[0] ?? "", pattern);
      });
    }
  });

  describe("/debug/* on the ops port", () => {
    let server: TestServer | undefined;
    afterEach(async () => {
      await server?.stop();
      server = undefined;
    });

    const get = async (path: string): Promise<{ status: number; type: string; body: string }> => {
      const response = await fetch(`http://127.0.0.1:${server?.app.httpPort}${path}`);
      return {
        status: response.status,
        type: response.headers.get("content-type") ?? "",
        body: await response.text(),
      };
    };

    it("is 404 without --debug", async () => {
      server = await startTestServer(HEADLESS);
      for (const path of ["/debug/explain?name=web.demo.svc.clusterset.local", "/debug/zone"])
        assert.equal((await get(path)).status, 404, path);
      assert.equal((await get("/health")).status, 200);
    });

    it("with --debug: explain as JSON or text, the zone file, and problems the server saw", async () => {
      const unlabelled = endpointSlice("demo", "web-west", {
        service: "web",
        cluster: "west",
        endpoints: [{ addresses: ["10.5.0.1"] }],
      });
      delete (unlabelled.metadata as { labels: Record<string, string> }).labels[
        "multicluster.kubernetes.io/source-cluster"
      ];
      server = await startTestServer(
        [...HEADLESS, unlabelled],
        ["--debug", "--cluster-id", "zulu"],
      );
      const json = await get("/debug/explain?name=web.demo.svc.clusterset.local&type=A");
      assert.equal(json.status, 200);
      assert.equal(json.type, "application/json");
      const report = JSON.parse(json.body) as ExplainReport;
      assert.deepEqual(
        report.answer.answer.map((r) => r.data),
        ["10.9.0.1", "10.1.0.1"],
      );
      assert.equal(report.localClusterId, "zulu");
      const codes = report.findings.map((f) => `${f.code} ${f.object}`);
      assert.ok(codes.includes("NOT_READY EndpointSlice/demo/web-zulu"), codes.join("\n"));
      assert.ok(codes.includes("NO_CLUSTER_LABEL EndpointSlice/demo/web-west"), codes.join("\n"));

      const text = await get("/debug/explain?name=nope.demo.svc.clusterset.local&format=text");
      assert.equal(text.status, 200);
      assert.match(text.type, /^text\/plain/);
      assert.match(text.body, /^Answer: {3}NXDOMAIN$/m);
      assert.match(text.body, /error {3}NO_SERVICE_IMPORT/);

      const zone = await get("/debug/zone");
      assert.equal(zone.status, 200);
      assert.match(
        zone.body,
        /^; clusterset\.local\. serial \d+, generation \d+\n\$ORIGIN clusterset\.local\.\n\$TTL 5\nclusterset\.local\.\t5\tIN\tSOA\t/,
      );
      assert.ok(
        zone.body.includes("10-9-0-1.zulu.web.demo.svc.clusterset.local.\t5\tIN\tA\t10.9.0.1\n"),
      );

      assert.equal((await get("/debug/explain")).status, 400);
      assert.equal((await get("/debug/explain?name=x&type=NOPE")).status, 400);
    });
  });

  describe("locality over real sockets", () => {
    let server: TestServer | undefined;
    afterEach(async () => {
      await server?.stop();
      server = undefined;
    });

    const addresses = async (port: number) =>
      (await query(port, "web.demo.svc.clusterset.local", { type: "A" })).answers.map(
        (r) => r.address,
      );
    const srv = async (port: number, transport: "udp" | "tcp" = "udp") =>
      (
        await query(port, "_http._tcp.web.demo.svc.clusterset.local", { type: "SRV", transport })
      ).answers.map((r) => `${r.priority} ${r.target}`);

    it("no local cluster id: cluster id order, priority 0 even with --prefer-local-srv", async () => {
      server = await startTestServer(HEADLESS, ["--prefer-local-srv"]);
      assert.deepEqual(await addresses(server.port), ["10.1.0.1", "10.9.0.1"]);
      assert.deepEqual(await srv(server.port), [
        "0 10-1-0-1.alpha.web.demo.svc.clusterset.local",
        "0 10-9-0-1.zulu.web.demo.svc.clusterset.local",
      ]);
    });

    it("--cluster-id: local endpoints first, priorities unchanged by default", async () => {
      server = await startTestServer(HEADLESS, ["--cluster-id", "zulu"]);
      assert.deepEqual(await addresses(server.port), ["10.9.0.1", "10.1.0.1"]);
      assert.deepEqual(await srv(server.port, "tcp"), [
        "0 10-9-0-1.zulu.web.demo.svc.clusterset.local",
        "0 10-1-0-1.alpha.web.demo.svc.clusterset.local",
      ]);
    });

    it("ClusterProperty and --prefer-local-srv: local priority 0, remote 1 (UDP and TCP)", async () => {
      server = await startTestServer(
        [...HEADLESS, clusterProperty("zulu")],
        ["--prefer-local-srv"],
      );
      assert.deepEqual(await addresses(server.port), ["10.9.0.1", "10.1.0.1"]);
      for (const transport of ["udp", "tcp"] as const)
        assert.deepEqual(await srv(server.port, transport), [
          "0 10-9-0-1.zulu.web.demo.svc.clusterset.local",
          "1 10-1-0-1.alpha.web.demo.svc.clusterset.local",
        ]);
    });
  });
});
