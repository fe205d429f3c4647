// spec §2: every name and record the zone holds, over UDP and TCP, against the running server.

import assert from "node:assert/strict";
import { query, type Transport } from "../support/dns-client.js";
import {
  addresses,
  assertAnswer,
  assertNoData,
  assertNxDomain,
  srvs,
  ZONE,
} from "../support/expect.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { name, specObjects } from "../support/spec-fixture.js";

const A = 1;
const AAAA = 28;

// UDP twice: through the native batching module and through node:dgram (--udp-io).
const RUNS: { transport: Transport; udpIo: string }[] = [
  { transport: "udp", udpIo: "batch" },
  { transport: "udp", udpIo: "dgram" },
  { transport: "tcp", udpIo: "auto" },
];

for (const { transport, udpIo } of RUNS) {
  describe(`spec §2 names over ${transport}${transport === "udp" ? ` (${udpIo})` : ""}`, () => {
    let server: TestServer;
    const ask = (qname: string, type: string | number) =>
      query(server.port, qname, { type, transport, edns: { udpPayloadSize: 1232 } });

    before(async () => {
      server = await startTestServer(specObjects(), ["--udp-io", udpIo]);
    });
    after(async () => {
      await server.stop();
    });

    describe("§2.1 always", () => {
      it("dns-version TXT is 1.0.0 with TTL 28800", async () => {
        const reply = await ask(`dns-version.${ZONE}`, "TXT");
        assertAnswer(reply);
        assert.equal(reply.answers.length, 1);
        assert.deepEqual(reply.answers[0]!.data, ["1.0.0"]);
        assert.equal(reply.answers[0]!.ttl, 28800);
        assert.equal(reply.answers[0]!.name, `dns-version.${ZONE}`);
      });

      it("apex SOA has the spec's fields", async () => {
        const reply = await ask(ZONE, "SOA");
        assertAnswer(reply);
        const soa = reply.answers[0]!;
        assert.equal(soa.type, 6);
        assert.equal(soa.ttl, 5);
        assert.equal(soa.primary, `ns.dns.${ZONE}`);
        assert.equal(soa.admin, `hostmaster.${ZONE}`);
        assert.deepEqual(
          [soa.refresh, soa.retry, soa.expiration, soa.minimum],
          [7200, 1800, 86400, 5],
        );
        assert.ok((soa.serial ?? 0) > 0);
      });

      it("apex NS is ns.dns.Z, which exists without addresses (NODATA)", async () => {
        const reply = await ask(ZONE, "NS");
        assertAnswer(reply);
        assert.deepEqual(
          reply.answers.map((r) => [r.type, r.ns, r.ttl]),
          [[2, `ns.dns.${ZONE}`, 5]],
        );
        assertNoData(await ask(`ns.dns.${ZONE}`, "A"));
        assertNoData(await ask(`ns.dns.${ZONE}`, "AAAA"));
      });
    });

    describe("§2.2 ClusterSetIP services", () => {
      it("A is the ClusterSetIP", async () => {
        const reply = await ask(name("v4svc"), "A");
        assertAnswer(reply);
        assert.deepEqual(addresses(reply.answers, A), ["10.0.0.1"]);
        assert.equal(reply.answers[0]!.ttl, 5);
      });

      it("AAAA on a v4-only service is NODATA", async () => {
        assertNoData(await ask(name("v4svc"), "AAAA"));
      });

      it("dual stack answers A and AAAA", async () => {
        const a = await ask(name("dual"), "A");
        assertAnswer(a);
        assert.deepEqual(addresses(a.answers, A), ["10.0.0.2"]);
        const aaaa = await ask(name("dual"), "AAAA");
        assertAnswer(aaaa);
        assert.deepEqual(addresses(aaaa.answers, AAAA), ["fd00::2"]);
      });

      it("v6-only: AAAA answers, A is NODATA", async () => {
        const aaaa = await ask(name("v6only"), "AAAA");
        assert.deepEqual(addresses(aaaa.answers, AAAA), ["fd00::3"]);
        assertNoData(await ask(name("v6only"), "A"));
      });

      it("_p._proto SRV points at the service with its A in Additional", async () => {
        const reply = await ask(`_http._tcp.${name("v4svc")}`, "SRV");
        assertAnswer(reply);
        assert.deepEqual(srvs(reply.answers), [`0 100 80 ${name("v4svc")}`]);
        assert.deepEqual(addresses(reply.additionals, A), ["10.0.0.1"]);
      });

      it("UDP-protocol named port: _dns._udp", async () => {
        const reply = await ask(`_dns._udp.${name("v4svc")}`, "SRV");
        assert.deepEqual(srvs(reply.answers), [`0 100 53 ${name("v4svc")}`]);
      });

      it("tcp/42 and udp/42: one SRV each under _foo._tcp and _foo._udp", async () => {
        assert.deepEqual(srvs((await ask(`_foo._tcp.${name("v4svc")}`, "SRV")).answers), [
          `0 100 42 ${name("v4svc")}`,
        ]);
        assert.deepEqual(srvs((await ask(`_foo._udp.${name("v4svc")}`, "SRV")).answers), [
          `0 100 42 ${name("v4svc")}`,
        ]);
      });

      it("service-name SRV: one per distinct port number (tcp/42+udp/42 → one), unnamed included", async () => {
        const reply = await ask(name("v4svc"), "SRV");
        assertAnswer(reply);
        const target = name("v4svc");
        assert.deepEqual(srvs(reply.answers), [
          `0 100 42 ${target}`,
          `0 100 53 ${target}`,
          `0 100 80 ${target}`,
          `0 100 8080 ${target}`,
        ]);
      });

      it("no ips: A/AAAA NODATA, SRV still answered with empty Additional", async () => {
        assertNoData(await ask(name("noips"), "A"));
        assertNoData(await ask(name("noips"), "AAAA"));
        const srv = await ask(`_http._tcp.${name("noips")}`, "SRV");
        assertAnswer(srv);
        assert.deepEqual(srvs(srv.answers), [`0 100 80 ${name("noips")}`]);
        assert.equal(srv.additionals.filter((r) => r.type !== 41).length, 0);
      });

      it("cluster-targeting names never exist", async () => {
        assertNxDomain(await ask(`c1.${name("v4svc")}`, "A"));
        assertNxDomain(await ask(`x.c1.${name("v4svc")}`, "A"));
      });
    });

    describe("§2.3 headless services", () => {
      const hlReady = ["10.1.0.1", "10.1.0.2", "10.2.0.2", "10.3.0.1", "10.4.0.1"];

      it("A is exactly the ready IPv4 addresses of all clusters", async () => {
        const reply = await ask(name("hl"), "A");
        assertAnswer(reply);
        assert.deepEqual(addresses(reply.answers, A), hlReady);
        assert.ok(reply.answers.every((r) => r.ttl === 5));
      });

      it("AAAA is exactly the ready IPv6 addresses", async () => {
        const reply = await ask(name("hl"), "AAAA");
        assert.deepEqual(addresses(reply.answers, AAAA), ["fd00:10:244::5", "fd00:4::1", "fd00::"]);
      });

      it("per-endpoint names by hostname", async () => {
        const reply = await ask(`pod-0.c1.${name("hl")}`, "A");
        assertAnswer(reply);
        assert.deepEqual(addresses(reply.answers, A), ["10.1.0.1"]);
      });

      it("per-endpoint names derived from IPv4 addresses", async () => {
        assert.deepEqual(addresses((await ask(`10-1-0-2.c1.${name("hl")}`, "A")).answers), [
          "10.1.0.2",
        ]);
        assert.deepEqual(addresses((await ask(`10-2-0-2.c2.${name("hl")}`, "A")).answers), [
          "10.2.0.2",
        ]);
      });

      it("per-endpoint names derived from IPv6 addresses (RFC 5952, trailing - gets 0)", async () => {
        assert.deepEqual(
          addresses((await ask(`fd00-10-244--5.c2.${name("hl")}`, "AAAA")).answers),
          ["fd00:10:244::5"],
        );
        assert.deepEqual(addresses((await ask(`fd00--0.c2.${name("hl")}`, "AAAA")).answers), [
          "fd00::",
        ]);
      });

      it("not-ready endpoints have no names and no addresses", async () => {
        assertNxDomain(await ask(`10-1-0-3.c1.${name("hl")}`, "A"));
      });

      it("an endpoint in a v4 and a v6 slice answers both families under one name", async () => {
        assert.deepEqual(addresses((await ask(`both.c3.${name("hl")}`, "A")).answers), [
          "10.4.0.1",
        ]);
        assert.deepEqual(addresses((await ask(`both.c3.${name("hl")}`, "AAAA")).answers), [
          "fd00:4::1",
        ]);
      });

      it("_http._tcp SRV: one per ready endpoint target, collapsed, with targets' addresses in Additional", async () => {
        const reply = await ask(`_http._tcp.${name("hl")}`, "SRV");
        assertAnswer(reply);
        const expected = [
          `pod-0.c1`,
          `10-1-0-2.c1`,
          `10-2-0-2.c2`,
          `fd00-10-244--5.c2`,
          `fd00--0.c2`,
          `pod-0.name.extra`,
          `both.c3`,
        ].map((target) => `0 100 8080 ${target}.${name("hl")}`);
        assert.deepEqual(srvs(reply.answers), expected.sort());
        assert.deepEqual(addresses(reply.additionals, A), hlReady);
        assert.deepEqual(addresses(reply.additionals, AAAA), [
          "fd00:10:244::5",
          "fd00:4::1",
          "fd00::",
        ]);
      });

      it("service-name SRV: one per (target, port number) including unnamed slice ports", async () => {
        const reply = await ask(name("hl"), "SRV");
        const got = srvs(reply.answers);
        assert.ok(got.includes(`0 100 9090 pod-0.c1.${name("hl")}`), "unnamed slice port 9090");
        assert.ok(got.includes(`0 100 8080 pod-0.c1.${name("hl")}`));
        assert.equal(got.length, 7 + 2, "7 targets on 8080 plus the two c1 targets on 9090");
      });

      it("ServiceImport ports do not make headless SRV records", async () => {
        assertNxDomain(await ask(`_ignored._tcp.${name("hl")}`, "SRV"));
      });

      it("<cluster>.S is NODATA above per-endpoint names", async () => {
        assertNoData(await ask(`c1.${name("hl")}`, "A"));
      });

      it("two-label cluster ids: name.extra per-endpoint names, both ENTs NODATA", async () => {
        assert.deepEqual(addresses((await ask(`pod-0.name.extra.${name("hl")}`, "A")).answers), [
          "10.3.0.1",
        ]);
        assertNoData(await ask(`extra.${name("hl")}`, "A"));
        assertNoData(await ask(`name.extra.${name("hl")}`, "A"));
      });

      it("a slice with an invalid cluster id is skipped", async () => {
        const reply = await ask(name("hl"), "A");
        assert.ok(!addresses(reply.answers).includes("10.66.0.1"));
      });

      it("no ready endpoints: NXDOMAIN for every name of the service", async () => {
        assertNxDomain(await ask(name("empty"), "A"));
        assertNxDomain(await ask(name("empty"), "SRV"));
        assertNxDomain(await ask(`_http._tcp.${name("empty")}`, "SRV"));
        assertNxDomain(await ask(`10-5-0-1.c1.${name("empty")}`, "A"));
      });
    });

    describe("§2.4 not served", () => {
      it("*.pod.Z is NXDOMAIN", async () => {
        assertNxDomain(await ask(`10-1-0-1.ns.pod.${ZONE}`, "A"));
      });

      it("PTR inside the zone is NODATA on an existing name", async () => {
        assertNoData(await ask(name("v4svc"), "PTR"));
      });
    });
  });
}
