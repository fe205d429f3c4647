// The forwarding path (issue 5): a real resolver with a stub zone for clusterset.local pointing
// at us, standing in for CoreDNS's `forward` (which cannot be installed here). Unbound asks us
// over UDP, falls back to TCP on TC=1, and hands the answers to its client. Also what CoreDNS
// itself sends to a stub-domain upstream: the `. IN NS` health check and the loop plugin's
// random HINFO probe.

import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import {
  buildQuery,
  decode,
  query,
  TYPE,
  udpExchange,
  type QueryOptions,
  type Reply,
  type Transport,
} from "../support/dns-client.js";
import { addresses, RCODE, srvs, ZONE } from "../support/expect.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { BIG_COUNT, bigAddress, name, specObjects } from "../support/spec-fixture.js";
import { findUnbound, startUnbound, type UnboundInstance } from "../support/unbound.js";

const A = TYPE.A!;
const AAAA = TYPE.AAAA!;
const SOA = 6;
const PROMPT_MS = 100;

const unboundBinary = findUnbound();
const title =
  unboundBinary === undefined
    ? "forwarding through Unbound (SKIPPED: unbound is not installed; apt-get install unbound)"
    : "forwarding through Unbound (stand-in for CoreDNS forward)";

/** Sum of the samples of one metric whose labels include `match`. */
function sumSamples(exposition: string, metric: string, match: Record<string, string>): number {
  let total = 0;
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const labels = line.slice(metric.length).match(/^\{(.*)\}/)?.[1] ?? "";
    const matches = Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

describe(title, function () {
  let server: TestServer;
  let unbound: UnboundInstance;

  const viaUnbound = (
    relative: string,
    options: QueryOptions & { transport?: Transport } = {},
  ): Promise<Reply> => query(unbound.port, name(relative), options);

  const scrape = async (): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${server.app.httpPort}/metrics`, {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.status, 200);
    return response.text();
  };

  /** A recursive resolver's reply: RA=1, not authoritative, rcode as expected. */
  const assertResolved = (reply: Reply, rcode: number): void => {
    assert.equal(reply.header.qr, 1, "QR");
    assert.equal(reply.header.rcode, rcode, `rcode ${reply.header.rcode} ≠ ${rcode}`);
    assert.equal(reply.header.ra, 1, "RA (a resolver answers)");
    assert.equal(reply.header.aa, 0, "AA (a resolver is not authoritative)");
  };

  const assertNegative = (reply: Reply): void => {
    assert.equal(reply.answers.length, 0, "no answers");
    assert.deepEqual(
      reply.authorities.map((r) => [r.name.toLowerCase(), r.type]),
      [[ZONE, SOA]],
      "our SOA passed through in the authority section",
    );
  };

  before(async function () {
    if (unboundBinary === undefined) this.skip();
    server = await startTestServer(specObjects());
    // Our server first: a resolver that found its upstream silent caches the SERVFAIL briefly.
    unbound = await startUnbound({ zone: ZONE, upstreamPort: server.port });
  });

  after(async () => {
    await unbound?.stop();
    await server?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed")
      process.stderr.write(`unbound log:\n${unbound?.log() ?? ""}\n`);
  });

  it("ClusterSetIP A and AAAA", async () => {
    const v4 = await viaUnbound("v4svc");
    assertResolved(v4, RCODE.NOERROR);
    assert.deepEqual(addresses(v4.answers, A), ["10.0.0.1"]);
    assert.ok(
      v4.answers.every((r) => r.ttl <= 5),
      "TTL not raised above ours",
    );
    const v6 = await viaUnbound("dual", { type: "AAAA" });
    assertResolved(v6, RCODE.NOERROR);
    assert.deepEqual(addresses(v6.answers, AAAA), ["fd00::2"]);
  });

  it("SRV with the service's A in the Additional section", async () => {
    const reply = await viaUnbound("_http._tcp.v4svc", { type: "SRV" });
    assertResolved(reply, RCODE.NOERROR);
    assert.deepEqual(srvs(reply.answers), [`0 100 80 ${name("v4svc")}`]);
    assert.deepEqual(
      reply.additionals.filter((r) => r.type === A).map((r) => [r.name, r.address]),
      [[name("v4svc"), "10.0.0.1"]],
    );
  });

  it("headless: every ready address of every cluster, per-endpoint names, SRV targets", async () => {
    const v4 = await viaUnbound("hl");
    assertResolved(v4, RCODE.NOERROR);
    assert.deepEqual(addresses(v4.answers, A), [
      "10.1.0.1",
      "10.1.0.2",
      "10.2.0.2",
      "10.3.0.1",
      "10.4.0.1",
    ]);
    const v6 = await viaUnbound("hl", { type: "AAAA" });
    assert.deepEqual(addresses(v6.answers, AAAA), ["fd00:10:244::5", "fd00:4::1", "fd00::"]);

    const pod = await viaUnbound("pod-0.name.extra.hl");
    assertResolved(pod, RCODE.NOERROR);
    assert.deepEqual(addresses(pod.answers, A), ["10.3.0.1"]);

    // With EDNS: to a plain 512-byte client unbound trims the Additional section RRset by RRset.
    const srv = await viaUnbound("_http._tcp.hl", { type: "SRV", edns: { udpPayloadSize: 1232 } });
    assertResolved(srv, RCODE.NOERROR);
    const targets = [
      "10-1-0-2.c1",
      "10-2-0-2.c2",
      "both.c3",
      "fd00--0.c2",
      "fd00-10-244--5.c2",
      "pod-0.c1",
      "pod-0.name.extra",
    ].map((host) => `0 100 8080 ${name(`${host}.hl`)}`);
    assert.deepEqual(srvs(srv.answers), targets.sort());
    const glue = srv.additionals
      .filter((r) => r.type === A || r.type === AAAA)
      .map((r) => `${r.name} ${r.address}`)
      .sort();
    assert.deepEqual(
      glue,
      [
        `${name("10-1-0-2.c1.hl")} 10.1.0.2`,
        `${name("10-2-0-2.c2.hl")} 10.2.0.2`,
        `${name("both.c3.hl")} 10.4.0.1`,
        `${name("both.c3.hl")} fd00:4::1`,
        `${name("fd00--0.c2.hl")} fd00::`,
        `${name("fd00-10-244--5.c2.hl")} fd00:10:244::5`,
        `${name("pod-0.c1.hl")} 10.1.0.1`,
        `${name("pod-0.name.extra.hl")} 10.3.0.1`,
      ].sort(),
    );
  });

  it("NXDOMAIN (absent name, headless service without ready endpoints) with our SOA", async () => {
    for (const relative of ["nosuch", "empty", "nobody.c1.hl"]) {
      const reply = await viaUnbound(relative);
      assertResolved(reply, RCODE.NXDOMAIN);
      assertNegative(reply);
    }
  });

  it("NODATA (AAAA of a v4-only service, TXT on a service, an empty non-terminal)", async () => {
    for (const [relative, type] of [
      ["v4svc", "AAAA"],
      ["v4svc", "TXT"],
      ["c1.hl", "A"],
    ] as const) {
      const reply = await viaUnbound(relative, { type });
      assertResolved(reply, RCODE.NOERROR);
      assertNegative(reply);
    }
  });

  it("a 300-record headless answer: TC=1 over UDP, unbound refetches over TCP and returns it whole", async () => {
    // What unbound sends us first (EDNS, 1232 bytes): a truncated answer.
    const direct = decode(
      (await udpExchange(
        server.port,
        buildQuery(name("big"), { edns: { udpPayloadSize: 1232 } }),
      ))!,
    );
    assert.equal(direct.header.tc, 1, "our UDP reply is truncated");
    assert.ok(direct.answers.length < BIG_COUNT);

    const before = await scrape();
    const reply = await viaUnbound("big", { transport: "tcp" });
    const after = await scrape();

    assertResolved(reply, RCODE.NOERROR);
    assert.equal(reply.header.tc, 0);
    const expected = Array.from({ length: BIG_COUNT }, (_, i) => bigAddress(i)).sort();
    assert.deepEqual(addresses(reply.answers, A), expected, "all 300 addresses, once each");

    const delta = (proto: string): number =>
      sumSamples(after, "clusterset_dns_dns_requests_total", { proto, type: "A" }) -
      sumSamples(before, "clusterset_dns_dns_requests_total", { proto, type: "A" });
    assert.ok(delta("udp") >= 1, `unbound asked over UDP first (udp A +${delta("udp")})`);
    assert.ok(delta("tcp") >= 1, `unbound retried over TCP (tcp A +${delta("tcp")})`);

    // Unbound does not split an RRset either: to a UDP client it sends TC=1 and no answers, so
    // the client (as CoreDNS's forward would) comes back over TCP.
    const viaUdp = await viaUnbound("big", { edns: { udpPayloadSize: 1232 } });
    assert.equal(viaUdp.header.tc, 1, "unbound truncates to a UDP client");
    assert.equal(viaUdp.answers.length, 0, "whole RRset or nothing");
  });

  describe("what CoreDNS's forward and loop plugins send straight to a stub-domain upstream", () => {
    const timed = async (
      qname: string,
      options: QueryOptions & { transport?: Transport },
    ): Promise<{ reply: Reply; ms: number }> => {
      const started = performance.now();
      const reply = await query(server.port, qname, options);
      return { reply, ms: performance.now() - started };
    };

    for (const transport of ["udp", "tcp"] as const) {
      it(`health check ". IN NS" over ${transport}: prompt REFUSED, question echoed`, async () => {
        const { reply, ms } = await timed(".", { type: "NS", transport });
        assert.equal(reply.header.rcode, RCODE.REFUSED);
        assert.equal(reply.header.aa, 0);
        assert.deepEqual(
          reply.questions.map((q) => [q.name, q.type, q.class]),
          [["", TYPE.NS, 1]],
        );
        assert.ok(ms < PROMPT_MS, `answered in ${ms.toFixed(1)} ms`);
      });
    }

    it("loop detector's random <n>.<n>.zone HINFO: prompt NXDOMAIN, also through the resolver", async () => {
      const random = (): string => String(Math.floor(Math.random() * 2 ** 52));
      const probe = `${random()}.${random()}.${ZONE}`;
      const { reply, ms } = await timed(probe, { type: "HINFO" });
      assert.equal(reply.header.rcode, RCODE.NXDOMAIN);
      assert.equal(reply.header.aa, 1);
      assert.equal(reply.questions[0]?.name, probe);
      assert.equal(reply.questions[0]?.type, TYPE.HINFO);
      assert.ok(ms < PROMPT_MS, `answered in ${ms.toFixed(1)} ms`);

      const second = `${random()}.${random()}.${ZONE}`;
      const forwarded = await query(unbound.port, second, { type: "HINFO" });
      assertResolved(forwarded, RCODE.NXDOMAIN);
    });
  });
});
