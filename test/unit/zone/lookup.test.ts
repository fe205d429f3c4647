import assert from "node:assert/strict";
import { RRType, type ResourceRecord } from "../../../src/wire/types.js";
import { inZone, lookup, negativeSoa, type LookupResult } from "../../../src/zone/lookup.js";
import type { Snapshot } from "../../../src/zone/snapshot.js";
import { specObjects } from "../../support/spec-fixture.js";
import { endpointSlice, serviceImport } from "../../support/k8s-objects.js";
import { fqdn, rdata, snapshotOf, ZONE } from "./zone-helpers.js";

const { A, AAAA, NS, SOA, SRV, TXT, PTR, ANY } = RRType;
const svc = (relative: string): string => fqdn(`${relative}.ns.svc`);

/** A result as text: rcode, then "owner type rdata" per section. */
function summary(result: LookupResult): {
  rcode: number;
  answer: string[];
  authority: string[];
  additional: string[];
} {
  const text = (r: ResourceRecord): string => `${r.name} ${r.ttl} ${r.data.type} ${rdata(r)}`;
  return {
    rcode: result.rcode,
    answer: result.answer.map(text),
    authority: result.authority.map(text),
    additional: result.additional.map(text),
  };
}

describe("zone/lookup", () => {
  const snapshot = snapshotOf(specObjects(), { ttl: 5 }, 17);
  const soaText = `${ZONE} 5 6 ns.dns.${ZONE} hostmaster.${ZONE} 17 7200 1800 86400 5`;
  const nodata = { rcode: 0, answer: [], authority: [soaText], additional: [] };
  const nxdomain = { rcode: 3, answer: [], authority: [soaText], additional: [] };
  const ask = (name: string, type: number): ReturnType<typeof summary> =>
    summary(lookup(snapshot, name, type));

  describe("inZone", () => {
    it("is true for the apex and names below it only", () => {
      assert.equal(inZone("clusterset.local", "clusterset.local"), true);
      assert.equal(inZone("a.b.clusterset.local", "clusterset.local"), true);
      assert.equal(inZone("xclusterset.local", "clusterset.local"), false);
      assert.equal(inZone("local", "clusterset.local"), false);
      assert.equal(inZone("", "clusterset.local"), false);
      assert.equal(inZone("clusterset.local.evil", "clusterset.local"), false);
      assert.equal(inZone("10.in-addr.arpa", "clusterset.local"), false);
      assert.equal(inZone("anything", ""), true);
    });
  });

  describe("always (§2.1)", () => {
    it("answers the SOA at the apex", () => {
      assert.deepEqual(ask(ZONE, SOA), {
        rcode: 0,
        answer: [soaText],
        authority: [],
        additional: [],
      });
    });

    it("answers NS at the apex, with no additional when ns.dns.Z has no address", () => {
      assert.deepEqual(ask(ZONE, NS), {
        rcode: 0,
        answer: [`${ZONE} 5 2 ns.dns.${ZONE}`],
        authority: [],
        additional: [],
      });
      assert.deepEqual(ask(fqdn("ns.dns"), A), nodata);
      assert.deepEqual(ask(fqdn("dns"), A), nodata);
    });

    it("adds ns.dns.Z's A and AAAA to an NS answer when configured", () => {
      const configured = snapshotOf([], { nsAddresses: ["127.0.0.1", "::1"] });
      assert.deepEqual(summary(lookup(configured, ZONE, NS)).additional, [
        `ns.dns.${ZONE} 5 1 127.0.0.1`,
        `ns.dns.${ZONE} 5 28 ::1`,
      ]);
      assert.deepEqual(summary(lookup(configured, fqdn("ns.dns"), AAAA)).answer, [
        `ns.dns.${ZONE} 5 28 ::1`,
      ]);
    });

    it("answers dns-version TXT with TTL 28800", () => {
      assert.deepEqual(ask(fqdn("dns-version"), TXT), {
        rcode: 0,
        answer: [`dns-version.${ZONE} 28800 16 "1.0.0"`],
        authority: [],
        additional: [],
      });
      assert.deepEqual(ask(fqdn("dns-version"), A), nodata);
    });
  });

  describe("ClusterSetIP (§2.2)", () => {
    it("answers A, and AAAA with NODATA for a v4-only service", () => {
      assert.deepEqual(ask(svc("v4svc"), A), {
        rcode: 0,
        answer: [`${svc("v4svc")} 5 1 10.0.0.1`],
        authority: [],
        additional: [],
      });
      assert.deepEqual(ask(svc("v4svc"), AAAA), nodata);
    });

    it("answers A and AAAA for dual stack", () => {
      assert.deepEqual(ask(svc("dual"), A).answer, [`${svc("dual")} 5 1 10.0.0.2`]);
      assert.deepEqual(ask(svc("dual"), AAAA).answer, [`${svc("dual")} 5 28 fd00::2`]);
    });

    it("answers _p._proto SRV with the service's addresses in the additional section", () => {
      assert.deepEqual(ask(svc("_https._tcp.dual"), SRV), {
        rcode: 0,
        answer: [`${svc("_https._tcp.dual")} 5 33 0 100 443 ${svc("dual")}`],
        authority: [],
        additional: [`${svc("dual")} 5 1 10.0.0.2`, `${svc("dual")} 5 28 fd00::2`],
      });
    });

    it("answers a service without ips with NODATA for A but SRV with an empty additional", () => {
      assert.deepEqual(ask(svc("noips"), A), nodata);
      assert.deepEqual(ask(svc("_http._tcp.noips"), SRV), {
        rcode: 0,
        answer: [`${svc("_http._tcp.noips")} 5 33 0 100 80 ${svc("noips")}`],
        authority: [],
        additional: [],
      });
    });

    it("answers S.N.svc.Z SRV per distinct port with one additional A (no duplicates)", () => {
      const target = svc("v4svc");
      assert.deepEqual(ask(target, SRV), {
        rcode: 0,
        answer: [80, 53, 42, 8080].map((port) => `${target} 5 33 0 100 ${port} ${target}`),
        authority: [],
        additional: [`${target} 5 1 10.0.0.1`],
      });
      assert.deepEqual(ask(svc("_foo._udp.v4svc"), SRV).answer, [
        `${svc("_foo._udp.v4svc")} 5 33 0 100 42 ${target}`,
      ]);
      assert.deepEqual(ask(svc("_foo._tcp.v4svc"), SRV).answer, [
        `${svc("_foo._tcp.v4svc")} 5 33 0 100 42 ${target}`,
      ]);
    });

    it("gives NXDOMAIN for cluster names and anything below them", () => {
      for (const name of [
        "c1.v4svc",
        "pod.c1.v4svc",
        "x.v4svc",
        "_http._udp.v4svc",
        "_ignored._tcp.hl",
      ])
        assert.deepEqual(ask(svc(name), A), nxdomain, name);
    });

    it("gives NODATA for _proto names and other types at the service", () => {
      assert.deepEqual(ask(svc("_tcp.v4svc"), SRV), nodata);
      assert.deepEqual(ask(svc("_udp.v4svc"), A), nodata);
      assert.deepEqual(ask(svc("v4svc"), TXT), nodata);
      assert.deepEqual(ask(svc("_http._tcp.v4svc"), A), nodata);
    });
  });

  describe("Headless (§2.3)", () => {
    const hl = svc("hl");

    it("answers the union of ready addresses", () => {
      assert.deepEqual(
        ask(hl, A).answer,
        ["10.1.0.1", "10.1.0.2", "10.2.0.2", "10.4.0.1", "10.3.0.1"].map((a) => `${hl} 5 1 ${a}`),
      );
      assert.deepEqual(
        ask(hl, AAAA).answer,
        ["fd00:10:244::5", "fd00::", "fd00:4::1"].map((a) => `${hl} 5 28 ${a}`),
      );
    });

    it("answers per-endpoint names, IP-dashed labels for v4 and v6", () => {
      assert.deepEqual(ask(`10-1-0-2.c1.${hl}`, A).answer, [`10-1-0-2.c1.${hl} 5 1 10.1.0.2`]);
      assert.deepEqual(ask(`fd00-10-244--5.c2.${hl}`, AAAA).answer, [
        `fd00-10-244--5.c2.${hl} 5 28 fd00:10:244::5`,
      ]);
      assert.deepEqual(ask(`fd00--0.c2.${hl}`, AAAA).answer, [`fd00--0.c2.${hl} 5 28 fd00::`]);
      assert.deepEqual(ask(`fd00--0.c2.${hl}`, A), nodata);
      assert.deepEqual(ask(`pod-0.name.extra.${hl}`, A).answer, [
        `pod-0.name.extra.${hl} 5 1 10.3.0.1`,
      ]);
    });

    it("gives NXDOMAIN for a not-ready endpoint's name", () => {
      assert.deepEqual(ask(`10-1-0-3.c1.${hl}`, A), nxdomain);
      assert.deepEqual(ask(`10-66-0-1.bad_cluster.${hl}`, A), nxdomain);
    });

    it("gives NODATA for cluster names and two-label cluster id non-terminals", () => {
      for (const name of ["c1", "c2", "c3", "extra", "name.extra", "_tcp"])
        for (const type of [A, AAAA, SRV])
          assert.deepEqual(ask(`${name}.${hl}`, type), nodata, name);
    });

    it("answers _p._proto SRV with each target's addresses once, in order", () => {
      const result = ask(`_http._tcp.${hl}`, SRV);
      assert.equal(result.answer.length, 7);
      assert.deepEqual(result.additional, [
        `pod-0.c1.${hl} 5 1 10.1.0.1`,
        `10-1-0-2.c1.${hl} 5 1 10.1.0.2`,
        `10-2-0-2.c2.${hl} 5 1 10.2.0.2`,
        `fd00-10-244--5.c2.${hl} 5 28 fd00:10:244::5`,
        `fd00--0.c2.${hl} 5 28 fd00::`,
        `both.c3.${hl} 5 1 10.4.0.1`,
        `both.c3.${hl} 5 28 fd00:4::1`,
        `pod-0.name.extra.${hl} 5 1 10.3.0.1`,
      ]);
    });

    it("answers S.N.svc.Z SRV with no duplicate additional records", () => {
      const result = ask(hl, SRV);
      assert.equal(result.answer.length, 9);
      assert.equal(result.additional.length, 8);
      assert.equal(new Set(result.additional).size, 8);
    });

    it("gives NXDOMAIN for every name of a service with no ready endpoint", () => {
      for (const name of [
        "empty",
        "_http._tcp.empty",
        "_tcp.empty",
        "c1.empty",
        "10-5-0-1.c1.empty",
      ])
        for (const type of [A, AAAA, SRV, ANY])
          assert.deepEqual(ask(svc(name), type), nxdomain, name);
    });
  });

  describe("response codes (§3)", () => {
    it("gives NODATA for svc.Z and N.svc.Z", () => {
      assert.deepEqual(ask(fqdn("svc"), A), nodata);
      assert.deepEqual(ask(fqdn("ns.svc"), SRV), nodata);
    });

    it("gives NXDOMAIN for unknown names, other namespaces and pod names", () => {
      assert.deepEqual(ask(fqdn("nope"), A), nxdomain);
      assert.deepEqual(ask(fqdn("other.svc"), A), nxdomain);
      assert.deepEqual(ask(fqdn("v4svc.other.svc"), A), nxdomain);
      assert.deepEqual(ask(fqdn("1-2-3-4.ns.pod"), A), nxdomain);
      assert.deepEqual(ask(fqdn("x.ns.dns"), A), nxdomain);
    });

    it("answers unknown types and PTR on existing names with NODATA", () => {
      assert.deepEqual(ask(svc("v4svc"), 666), nodata);
      assert.deepEqual(ask(ZONE, 666), nodata);
      assert.deepEqual(ask(svc("v4svc"), PTR), nodata);
      assert.deepEqual(ask(fqdn("nope"), 666), nxdomain);
      assert.deepEqual(ask(fqdn("nope"), PTR), nxdomain);
    });

    it("answers ANY with every record set at the name, or NODATA", () => {
      assert.deepEqual(ask(ZONE, ANY), {
        rcode: 0,
        answer: [soaText, `${ZONE} 5 2 ns.dns.${ZONE}`],
        authority: [],
        additional: [],
      });
      assert.deepEqual(ask(svc("dual"), ANY).answer, [
        `${svc("dual")} 5 1 10.0.0.2`,
        `${svc("dual")} 5 28 fd00::2`,
        `${svc("dual")} 5 33 0 100 443 ${svc("dual")}`,
      ]);
      assert.deepEqual(ask(fqdn("svc"), ANY), nodata);
      assert.deepEqual(ask(svc("noips"), ANY).answer, [
        `${svc("noips")} 5 33 0 100 80 ${svc("noips")}`,
      ]);
    });

    it("puts the SOA with TTL min(TTL, MINIMUM) in negative answers", () => {
      const soa = snapshot.soa;
      assert.equal(negativeSoa(soa), soa);
      const longer: ResourceRecord = { ...soa, ttl: 60 };
      assert.equal(negativeSoa(longer).ttl, 5);
      const handMade: Snapshot = { ...snapshot, soa: longer };
      assert.equal(lookup(handMade, fqdn("nope"), A).authority[0]?.ttl, 5);
      assert.equal(lookup(handMade, fqdn("svc"), A).authority[0]?.ttl, 5);
    });

    it("uses the configured TTL for the SOA and negative answers", () => {
      const zero = snapshotOf(specObjects(), { ttl: 0 });
      const result = lookup(zero, fqdn("nope"), A);
      assert.equal(result.authority[0]?.ttl, 0);
      assert.equal(result.authority[0]?.data.type === SOA && result.authority[0].data.minimum, 0);
    });

    it("shares results for negative answers and record arrays for positive ones", () => {
      assert.equal(lookup(snapshot, fqdn("a"), A), lookup(snapshot, fqdn("b"), A));
      assert.equal(lookup(snapshot, fqdn("svc"), A), lookup(snapshot, ZONE, 666));
      assert.equal(
        lookup(snapshot, svc("v4svc"), A).answer,
        snapshot.nodes.get(svc("v4svc"))?.rrsets.get(A),
      );
      assert.ok(Object.isFrozen(lookup(snapshot, fqdn("a"), A).authority));
    });
  });

  describe("ordering", () => {
    it("answers local-cluster records first when the local cluster is known", () => {
      const local = snapshotOf(
        [
          serviceImport("ns", "h", { type: "Headless" }),
          endpointSlice("ns", "a", {
            service: "h",
            cluster: "c1",
            endpoints: [{ addresses: ["10.0.0.1"] }],
          }),
          endpointSlice("ns", "b", {
            service: "h",
            cluster: "c2",
            endpoints: [{ addresses: ["10.0.0.2"] }],
          }),
        ],
        { localClusterId: "c2" },
      );
      assert.deepEqual(summary(lookup(local, svc("h"), A)).answer, [
        `${svc("h")} 5 1 10.0.0.2`,
        `${svc("h")} 5 1 10.0.0.1`,
      ]);
    });
  });
});
