import assert from "node:assert/strict";
import { RRType, type ResourceRecord } from "../../../src/wire/types.js";
import { lookup } from "../../../src/zone/lookup.js";
import { buildSnapshot, type ZoneOptions } from "../../../src/zone/snapshot.js";
import { clusterProperty, endpointSlice, serviceImport } from "../../support/k8s-objects.js";
import { inventoryOf } from "./helpers.js";

const OBJECTS = [
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
    endpoints: [{ addresses: ["10.9.0.1"] }, { addresses: ["10.9.0.2"] }],
    ports: [{ name: "http", protocol: "TCP", port: 80 }],
  }),
];

function answers(
  objects: Record<string, unknown>[],
  options: Partial<ZoneOptions>,
  name: string,
  type: number,
): ResourceRecord[] {
  const inventory = inventoryOf(objects);
  const snapshot = buildSnapshot(
    inventory.objects,
    { zone: "clusterset.local", ttl: 5, nsAddresses: [], ...options },
    1,
    1,
  );
  return lookup(snapshot, name, type).answer;
}

const srvSummary = (records: ResourceRecord[]) =>
  records.map((r) =>
    r.data.type === RRType.SRV
      ? `${r.data.priority} ${r.data.target.split(".")[0]}.${r.data.target.split(".")[1]}`
      : "",
  );

describe("debug/locality (snapshot order and --prefer-local-srv)", () => {
  const A = "web.demo.svc.clusterset.local";
  const SRV = "_http._tcp.web.demo.svc.clusterset.local";

  it("without a local cluster id: clusters in id order, every SRV priority 0", () => {
    assert.deepEqual(
      answers(OBJECTS, {}, A, RRType.A).map((r) => r.data.type === RRType.A && r.data.address),
      ["10.1.0.1", "10.9.0.1", "10.9.0.2"],
    );
    assert.deepEqual(srvSummary(answers(OBJECTS, { preferLocalSrv: true }, SRV, RRType.SRV)), [
      "0 10-1-0-1.alpha",
      "0 10-9-0-1.zulu",
      "0 10-9-0-2.zulu",
    ]);
  });

  it("--cluster-id puts the local cluster first; priorities stay 0 without --prefer-local-srv", () => {
    assert.deepEqual(
      answers(OBJECTS, { localClusterId: "zulu" }, A, RRType.A).map(
        (r) => r.data.type === RRType.A && r.data.address,
      ),
      ["10.9.0.1", "10.9.0.2", "10.1.0.1"],
    );
    assert.deepEqual(srvSummary(answers(OBJECTS, { localClusterId: "zulu" }, SRV, RRType.SRV)), [
      "0 10-9-0-1.zulu",
      "0 10-9-0-2.zulu",
      "0 10-1-0-1.alpha",
    ]);
  });

  it("the ClusterProperty gives the same order, and --prefer-local-srv priority 0 local / 1 remote", () => {
    const withProperty = [...OBJECTS, clusterProperty("zulu")];
    assert.deepEqual(
      answers(withProperty, {}, A, RRType.A).map((r) => r.data.type === RRType.A && r.data.address),
      ["10.9.0.1", "10.9.0.2", "10.1.0.1"],
    );
    assert.deepEqual(srvSummary(answers(withProperty, { preferLocalSrv: true }, SRV, RRType.SRV)), [
      "0 10-9-0-1.zulu",
      "0 10-9-0-2.zulu",
      "1 10-1-0-1.alpha",
    ]);
    // The flag wins over the ClusterProperty.
    assert.deepEqual(
      srvSummary(
        answers(
          withProperty,
          { preferLocalSrv: true, localClusterId: "alpha" },
          "web.demo.svc.clusterset.local",
          RRType.SRV,
        ),
      ),
      ["0 10-1-0-1.alpha", "1 10-9-0-1.zulu", "1 10-9-0-2.zulu"],
    );
  });

  it("ClusterSetIP SRV records are never reprioritized", () => {
    const objects = [
      serviceImport("demo", "vip", {
        ips: ["10.42.0.1"],
        ports: [{ name: "http", protocol: "TCP", port: 80 }],
      }),
    ];
    assert.deepEqual(
      srvSummary(
        answers(
          objects,
          { preferLocalSrv: true, localClusterId: "zulu" },
          "_http._tcp.vip.demo.svc.clusterset.local",
          RRType.SRV,
        ),
      ),
      ["0 vip.demo"],
    );
  });
});
