// spec §3: response codes (RFC 1035, 2308, 8020) against the running server.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startApp } from "../../src/app.js";
import { createLogger } from "../../src/observe/log.js";
import { query, tcpExchange, buildQuery, decode } from "../support/dns-client.js";
import {
  assertAnswer,
  assertNoData,
  assertNxDomain,
  assertReplyHeader,
  RCODE,
  ZONE,
} from "../support/expect.js";
import { startTestServer, testConfig, type TestServer } from "../support/server.js";
import { name, specObjects } from "../support/spec-fixture.js";

describe("spec §3 response codes", () => {
  let server: TestServer;
  const ask = (qname: string, type: string | number) => query(server.port, qname, { type });

  before(async () => {
    server = await startTestServer(specObjects());
  });
  after(async () => {
    await server.stop();
  });

  it("name with records of the type → NOERROR with records", async () => {
    assertAnswer(await ask(name("v4svc"), "A"));
  });

  for (const [label, qname, type] of [
    ["AAAA on a v4-only service", name("v4svc"), "AAAA"],
    ["TXT on a service", name("v4svc"), "TXT"],
    ["svc.Z", `svc.${ZONE}`, "A"],
    ["N.svc.Z", `ns.svc.${ZONE}`, "A"],
    ["_tcp.S.N.svc.Z", `_tcp.${name("v4svc")}`, "SRV"],
    ["<cluster>.S above per-endpoint names", `c2.${name("hl")}`, "AAAA"],
    ["dns.Z (empty non-terminal)", `dns.${ZONE}`, "A"],
    ["apex A", ZONE, "A"],
  ] as const) {
    it(`NODATA: ${label}`, async () => {
      assertNoData(await ask(qname, type));
    });
  }

  for (const [label, qname] of [
    ["unknown service", name("nosuch")],
    ["unknown namespace", `svc1.nons.svc.${ZONE}`],
    ["name outside the svc subtree", `foo.${ZONE}`],
    ["unknown named port", `_nope._tcp.${name("v4svc")}`],
  ] as const) {
    it(`NXDOMAIN: ${label}`, async () => {
      assertNxDomain(await ask(qname, "A"));
    });
  }

  it("NXDOMAIN below a missing name (RFC 8020 consistency)", async () => {
    assertNxDomain(await ask(`a.b.${name("nosuch")}`, "A"));
  });

  it("negative answers carry the SOA with TTL = min(SOA TTL, MINIMUM) for a configured TTL", async () => {
    const other = await startTestServer(specObjects(), ["--ttl", "30"]);
    try {
      const reply = await query(other.port, name("nosuch"), { type: "A" });
      assert.equal(reply.authorities[0]!.ttl, 30);
      assert.equal(reply.authorities[0]!.minimum, 30);
      const a = await query(other.port, name("v4svc"), { type: "A" });
      assert.equal(a.answers[0]!.ttl, 30);
    } finally {
      await other.stop();
    }
  });

  it("QTYPE ANY returns every record set at the name", async () => {
    const reply = await ask(name("dual"), "ANY");
    assertAnswer(reply);
    assert.deepEqual(
      reply.answers.map((r) => r.type).sort((a, b) => a - b),
      [1, 28, 33],
    );
    const apex = await ask(ZONE, "ANY");
    assert.deepEqual(
      apex.answers.map((r) => r.type).sort((a, b) => a - b),
      [2, 6],
    );
  });

  it("QTYPE ANY on an empty non-terminal is NODATA", async () => {
    assertNoData(await ask(`svc.${ZONE}`, "ANY"));
  });

  it("AXFR and IXFR are REFUSED", async () => {
    for (const type of [252, 251]) {
      const raw = await tcpExchange(server.port, buildQuery(ZONE, { type }));
      assert.ok(raw);
      assertReplyHeader(decode(raw), RCODE.REFUSED, false);
    }
  });

  it("SOA serial grows when the data changes", async () => {
    const before = (await ask(ZONE, "SOA")).answers[0]!.serial!;
    server.write(specObjects().filter((o) => (o.metadata as { name: string }).name !== "dual"));
    const deadline = Date.now() + 5000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await ask(ZONE, "SOA")).answers[0]!.serial!;
    }
    assert.ok(after > before, `serial ${after} > ${before}`);
    assertNxDomain(await ask(name("dual"), "A"));
    server.write(specObjects());
  });
});

describe("spec §3 SERVFAIL before the first full load", () => {
  it("every in-zone query is SERVFAIL while the source has not synced; outside the zone is still REFUSED", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clusterset-dns-unsynced-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    // An apiserver that never answers: port 1 on loopback refuses connections.
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]",
        "users: [{name: u, user: {}}]",
        "contexts: [{name: x, context: {cluster: c, user: u}}]",
        "current-context: x",
      ].join("\n"),
    );
    const app = await startApp(testConfig(["--kubeconfig", kubeconfig]), createLogger("silent"));
    try {
      for (const qname of [name("v4svc"), ZONE, `dns-version.${ZONE}`]) {
        const reply = await query(app.dns.port, qname, { type: "A" });
        assertReplyHeader(reply, RCODE.SERVFAIL, false);
        assert.equal(reply.answers.length, 0);
      }
      const outside = await query(app.dns.port, "example.com", { type: "A" });
      assertReplyHeader(outside, RCODE.REFUSED, false);
    } finally {
      await app.stop();
    }
  });
});
