import assert from "node:assert/strict";
import { explainInventory } from "../../../src/debug/commands.js";
import { explain, type ExplainReport } from "../../../src/debug/explain.js";
import { loadFileInventory, type Inventory } from "../../../src/debug/inventory.js";
import { renderExplain } from "../../../src/debug/render.js";
import { RRType } from "../../../src/wire/types.js";
import { buildSnapshot } from "../../../src/zone/snapshot.js";
import { ALL_REASONS, configFor, DEMO, MISTAKES } from "./helpers.js";
import path from "node:path";

function run(
  inventory: Inventory,
  name: string,
  type: number = RRType.A,
  args: string[] = [],
): ExplainReport {
  const result = explainInventory(inventory, configFor(["--output", "json", ...args]), name, type);
  assert.equal(result.exitCode, 0);
  return JSON.parse(result.stdout) as ExplainReport;
}

function codes(report: ExplainReport): string[] {
  return [...new Set(report.findings.map((f) => f.code))].sort();
}

describe("debug/explain", () => {
  let all: Inventory;
  let demo: Inventory;
  before(async () => {
    all = await loadFileInventory(ALL_REASONS);
    demo = await loadFileInventory(DEMO);
  });

  it("a ClusterSetIP name: the answer from spec.ips and the ServiceImport that matched", () => {
    const report = run(demo, "MyService.demo.svc.clusterset.local.");
    assert.equal(report.question.name, "myservice.demo.svc.clusterset.local.");
    assert.equal(report.answer.rcode, "NOERROR");
    assert.deepEqual(
      report.answer.answer.map((r) => r.text),
      ["myservice.demo.svc.clusterset.local.\t5\tIN\tA\t10.42.0.10"],
    );
    assert.equal(report.nameKind, "service");
    assert.equal(report.service?.status, "valid");
    assert.equal(report.service?.type, "ClusterSetIP");
    assert.deepEqual(codes(report), ["CLUSTERSETIP_SLICE_IGNORED"]);
    assert.deepEqual(
      report.service?.ports.map((p) => [p.name, p.port, p.srv[0]]),
      [
        ["http", 80, "_http._tcp.myservice.demo.svc.clusterset.local."],
        ["dns", 53, "_dns._udp.myservice.demo.svc.clusterset.local."],
        ["dns-tcp", 53, "_dns-tcp._tcp.myservice.demo.svc.clusterset.local."],
      ],
    );
  });

  it("every endpoint of a headless service: used, or left out with its reason", () => {
    const report = run(all, "hl.lab.svc.clusterset.local", RRType.SRV);
    assert.equal(report.answer.rcode, "NOERROR");
    const west = report.service?.slices.find((s) => s.object === "EndpointSlice/lab/hl-west-1");
    assert.ok(west);
    assert.deepEqual(
      west.endpoints.map((e) => [e.index, e.used, e.reasons.map((r) => r.code)]),
      [
        [0, true, []],
        [1, false, ["NOT_READY"]],
        [2, true, ["BAD_ADDRESS"]],
        [3, false, ["BAD_ADDRESS"]],
        [4, true, ["DUPLICATE_HOSTNAME", "DUPLICATE_ADDRESS"]],
        [5, false, ["BAD_HOSTNAME"]],
        [6, false, ["BAD_ENDPOINT"]],
        [7, false, ["NO_ADDRESS"]],
      ],
    );
    assert.deepEqual(
      west.ports.map((p) => [p.index, p.name, p.used, p.reasons.map((r) => r.code)]),
      [
        [0, "http", true, []],
        [1, "admin", false, ["NO_PORT_NUMBER"]],
        [2, null, true, ["UNNAMED_PORT"]],
        [3, "Bad_Name", false, ["BAD_PORT_NAME"]],
        [4, "big", false, ["BAD_PORT"]],
      ],
    );
    // The local cluster (ClusterProperty east) comes first.
    assert.deepEqual(
      report.service?.slices.map((s) => [s.cluster, s.local]),
      [
        ["east", true],
        ["west", false],
      ],
    );
    assert.deepEqual(
      report.service?.setAside.map((v) => [v.object, v.findings.map((f) => f.code)]),
      [
        ["EndpointSlice/lab/hl-fqdn", ["FQDN_SLICE"]],
        ["EndpointSlice/lab/hl-badtype", ["BAD_ADDRESS_TYPE"]],
        ["EndpointSlice/lab/hl-nolabel", ["NO_SERVICE_NAME_LABEL"]],
        ["EndpointSlice/lab/hl-badlabel", ["BAD_SERVICE_NAME_LABEL"]],
        ["EndpointSlice/lab/hl-nocluster", ["NO_CLUSTER_LABEL"]],
        ["EndpointSlice/lab/hl-badcluster", ["BAD_CLUSTER_ID"]],
      ],
    );
    assert.equal(
      report.answer.answer[0]?.text,
      "hl.lab.svc.clusterset.local.\t5\tIN\tSRV\t0 100 8080 pod-0.east.hl.lab.svc.clusterset.local.",
    );
  });

  it("a missing ServiceImport: NXDOMAIN, the slices that name it, and the same name elsewhere", async () => {
    const inventory = await loadFileInventory(path.join(MISTAKES, "missing-import.yaml"));
    const report = run(inventory, "orders.shop.svc.clusterset.local");
    assert.equal(report.answer.rcode, "NXDOMAIN");
    assert.deepEqual(codes(report), ["NO_SERVICE_IMPORT"]);
    assert.equal(report.findings[0]?.severity, "error");
    assert.deepEqual(report.suggestions, [
      { name: "orders.shop-staging.svc.clusterset.local.", reason: "SAME_NAME_OTHER_NAMESPACE" },
    ]);
    assert.equal(report.service?.slices[0]?.reason?.code, "NO_SERVICE_IMPORT");
  });

  it("suggests similar names for a typo", () => {
    const report = run(demo, "mysevice.demo.svc.clusterset.local");
    assert.deepEqual(report.suggestions, [
      { name: "myservice.demo.svc.clusterset.local.", reason: "SIMILAR_NAME" },
    ]);
  });

  it("the common mistakes each give their code", async () => {
    const cases: [string, string, number, string, string[]][] = [
      [
        "missing-labels.yaml",
        "cache.shop.svc.clusterset.local",
        RRType.A,
        "NXDOMAIN",
        ["NO_CLUSTER_LABEL", "NO_READY_ENDPOINTS", "NO_SERVICE_NAME_LABEL"],
      ],
      [
        "not-ready.yaml",
        "db.shop.svc.clusterset.local",
        RRType.A,
        "NXDOMAIN",
        ["NOT_READY", "NO_READY_ENDPOINTS"],
      ],
      [
        "bad-cluster-id.yaml",
        "search.shop.svc.clusterset.local",
        RRType.A,
        "NXDOMAIN",
        ["BAD_CLUSTER_ID", "NO_READY_ENDPOINTS"],
      ],
      [
        "unnamed-port.yaml",
        "_https._tcp.payments.shop.svc.clusterset.local",
        RRType.SRV,
        "NXDOMAIN",
        ["NO_SUCH_PORT", "UNNAMED_PORT"],
      ],
    ];
    for (const [file, name, type, rcode, expected] of cases) {
      const report = run(await loadFileInventory(path.join(MISTAKES, file)), name, type);
      assert.equal(report.answer.rcode, rcode, file);
      assert.deepEqual(codes(report), expected, file);
    }
  });

  it("question-level codes", () => {
    const cases: [string, number, string, string][] = [
      ["example.com", RRType.A, "REFUSED", "OUTSIDE_ZONE"],
      ["hl.lab.clusterset.local", RRType.A, "NXDOMAIN", "NOT_A_SERVICE_NAME"],
      ["weird.lab.svc.clusterset.local", RRType.A, "NXDOMAIN", "SERVICE_IMPORT_REJECTED"],
      ["idle.lab.svc.clusterset.local", RRType.A, "NXDOMAIN", "NO_READY_ENDPOINTS"],
      ["v6only.lab.svc.clusterset.local", RRType.A, "NOERROR", "NO_IPS"],
      ["west.hl.lab.svc.clusterset.local", RRType.A, "NOERROR", "CLUSTER_NAME_NOT_SERVED"],
      ["10-2-0-2.west.hl.lab.svc.clusterset.local", RRType.A, "NXDOMAIN", "NO_SUCH_ENDPOINT"],
      ["_grpc._tcp.hl.lab.svc.clusterset.local", RRType.SRV, "NXDOMAIN", "NO_SUCH_PORT"],
    ];
    for (const [name, type, rcode, code] of cases) {
      const report = run(all, name, type);
      assert.equal(report.answer.rcode, rcode, name);
      assert.equal(report.findings[0]?.code, code, name);
    }
  });

  it("a not-ready endpoint's own name says why it is missing", () => {
    const report = run(all, "10-2-0-2.west.hl.lab.svc.clusterset.local");
    assert.equal(report.nameKind, "endpoint");
    assert.ok(
      report.why.some((line) => line.includes("endpoints[1]") && line.includes("NOT_READY")),
      report.why.join("\n"),
    );
  });

  it("names below a two-label cluster id", () => {
    const a = run(demo, "10-3-5-10.edge.eu.web.demo.svc.clusterset.local");
    assert.equal(a.nameKind, "endpoint");
    assert.equal(a.answer.answer[0]?.data, "10.3.5.10");
    const extra = run(demo, "eu.web.demo.svc.clusterset.local");
    assert.equal(extra.nameKind, "cluster");
    assert.equal(extra.answer.nodata, true);
  });

  it("suggests the zone for a name typed without it", () => {
    const report = run(demo, "myservice.demo.svc");
    assert.equal(report.answer.rcode, "REFUSED");
    assert.deepEqual(report.suggestions, [
      { name: "myservice.demo.svc.clusterset.local.", reason: "ADD_ZONE" },
    ]);
  });

  it("the answer is what lookup() gives on the same snapshot", () => {
    const snapshot = buildSnapshot(
      demo.objects,
      { zone: "clusterset.local", ttl: 5, nsAddresses: [] },
      1,
      1,
    );
    const report = explain(
      { inventory: demo, snapshot, localClusterId: "east", preferLocalSrv: false },
      "web.demo.svc.clusterset.local",
      RRType.A,
    );
    assert.deepEqual(
      report.answer.answer.map((r) => r.data),
      ["10.1.5.10", "10.1.5.11", "10.3.5.10"],
    );
  });

  it("text output carries the answer lines, the codes and the sections", async () => {
    const inventory = await loadFileInventory(path.join(MISTAKES, "not-ready.yaml"));
    const report = run(inventory, "db.shop.svc.clusterset.local");
    const text = renderExplain(report);
    assert.match(text, /^Question: db\.shop\.svc\.clusterset\.local\. A$/m);
    assert.match(text, /^Answer: {3}NXDOMAIN$/m);
    assert.match(
      text,
      /^ {2}- Headless ServiceImport shop\/db has no ready endpoint, .*2 NOT_READY\.$/m,
    );
    assert.match(
      text,
      /^ {6}endpoints\[0\] 10\.1\.9\.10 hostname=db-0 {2}left out {2}\[NOT_READY\]/m,
    );
    assert.match(text, /^ {2}warning NO_READY_ENDPOINTS +ServiceImport\/shop\/db: /m);
  });
});
