import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RRClass, RRType, type ResourceRecord } from "../../../src/wire/types.js";
import type { Snapshot, ZoneNode } from "../../../src/zone/snapshot.js";
import { absoluteName, toZoneFile } from "../../../src/zone/zonefile.js";
import { endpointSlice, serviceImport } from "../../support/k8s-objects.js";
import { snapshotOf } from "./zone-helpers.js";

function demoSnapshot(): Snapshot {
  return snapshotOf(
    [
      serviceImport("ns1", "web", {
        ips: ["10.0.0.1", "fd00::1"],
        ports: [{ name: "http", protocol: "TCP", port: 80 }],
      }),
      serviceImport("ns1", "db", { type: "Headless" }),
      endpointSlice("ns1", "db-a", {
        service: "db",
        cluster: "east",
        endpoints: [{ addresses: ["10.2.0.2"], hostname: "db-0" }, { addresses: ["10.2.0.3"] }],
        ports: [{ name: "sql", protocol: "TCP", port: 5432 }],
      }),
    ],
    { nsAddresses: ["192.0.2.53"] },
    42,
  );
}

describe("zone/zonefile", () => {
  it("writes $ORIGIN, $TTL and the SOA first", () => {
    const lines = toZoneFile(demoSnapshot()).split("\n");
    assert.equal(lines[1], "$ORIGIN clusterset.local.");
    assert.equal(lines[2], "$TTL 5");
    assert.equal(
      lines[3],
      "clusterset.local.\t5\tIN\tSOA\tns.dns.clusterset.local. hostmaster.clusterset.local. 42 7200 1800 86400 5",
    );
    assert.equal(lines.filter((line) => line.includes("\tSOA\t")).length, 1);
  });

  it("writes every record with absolute names, explicit TTL and class", () => {
    const text = toZoneFile(demoSnapshot());
    const records = text.split("\n").filter((line) => line !== "" && !/^[;$]/.test(line));
    assert.deepEqual(records.slice(1).sort(), [
      "10-2-0-3.east.db.ns1.svc.clusterset.local.\t5\tIN\tA\t10.2.0.3",
      "_http._tcp.web.ns1.svc.clusterset.local.\t5\tIN\tSRV\t0 100 80 web.ns1.svc.clusterset.local.",
      "_sql._tcp.db.ns1.svc.clusterset.local.\t5\tIN\tSRV\t0 100 5432 10-2-0-3.east.db.ns1.svc.clusterset.local.",
      "_sql._tcp.db.ns1.svc.clusterset.local.\t5\tIN\tSRV\t0 100 5432 db-0.east.db.ns1.svc.clusterset.local.",
      "clusterset.local.\t5\tIN\tNS\tns.dns.clusterset.local.",
      "db-0.east.db.ns1.svc.clusterset.local.\t5\tIN\tA\t10.2.0.2",
      "db.ns1.svc.clusterset.local.\t5\tIN\tA\t10.2.0.2",
      "db.ns1.svc.clusterset.local.\t5\tIN\tA\t10.2.0.3",
      "db.ns1.svc.clusterset.local.\t5\tIN\tSRV\t0 100 5432 10-2-0-3.east.db.ns1.svc.clusterset.local.",
      "db.ns1.svc.clusterset.local.\t5\tIN\tSRV\t0 100 5432 db-0.east.db.ns1.svc.clusterset.local.",
      'dns-version.clusterset.local.\t28800\tIN\tTXT\t"1.0.0"',
      "ns.dns.clusterset.local.\t5\tIN\tA\t192.0.2.53",
      "web.ns1.svc.clusterset.local.\t5\tIN\tA\t10.0.0.1",
      "web.ns1.svc.clusterset.local.\t5\tIN\tAAAA\tfd00::1",
      "web.ns1.svc.clusterset.local.\t5\tIN\tSRV\t0 100 80 web.ns1.svc.clusterset.local.",
    ]);
    assert.ok(text.endsWith("\n"));
  });

  it("escapes master-file specials in names and TXT strings", () => {
    assert.equal(absoluteName(""), ".");
    assert.equal(absoluteName("a b.c(d).e"), "a\\032b.c\\(d\\).e.");
    const base = demoSnapshot();
    const record: ResourceRecord = {
      name: "t.clusterset.local",
      ttl: 5,
      class: RRClass.IN,
      data: { type: RRType.TXT, strings: ['say "hi"\\', "tab\there"] },
    };
    const node: ZoneNode = { rrsets: new Map([[RRType.TXT, [record]]]) };
    const snapshot: Snapshot = { ...base, nodes: new Map([["t.clusterset.local", node]]) };
    const lines = toZoneFile(snapshot).split("\n");
    assert.equal(lines[4], 't.clusterset.local.\t5\tIN\tTXT\t"say \\"hi\\"\\\\" "tab\\009here"');
  });

  it("is accepted by nsd-checkzone when NSD is installed", function () {
    const probe = spawnSync("nsd-checkzone", ["-h"], { encoding: "utf8" });
    if (probe.error !== undefined) this.skip();
    const dir = mkdtempSync(join(tmpdir(), "zonefile-test-"));
    try {
      const path = join(dir, "clusterset.local.zone");
      writeFileSync(path, toZoneFile(demoSnapshot()));
      const out = execFileSync("nsd-checkzone", ["clusterset.local", path], { encoding: "utf8" });
      assert.match(out, /zone clusterset\.local is ok/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
