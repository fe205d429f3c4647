import assert from "node:assert/strict";
import { RRType } from "../../../src/wire/types.js";
import { buildSnapshot, EMPTY_NODE, type Snapshot } from "../../../src/zone/snapshot.js";
import { objectKey } from "../../../src/zone/types.js";
import { BIG_COUNT, bigAddress, specObjects } from "../../support/spec-fixture.js";
import { clusterProperty, endpointSlice, serviceImport } from "../../support/k8s-objects.js";
import { fqdn, objectSetOf, options, rrsetText, snapshotOf, ZONE } from "./zone-helpers.js";

const { A, AAAA, NS, SOA, SRV, TXT } = RRType;
const svc = (relative: string): string => fqdn(`${relative}.ns.svc`);

/** Names at or below `base`, sorted, relative to it ("" for the base itself). */
function namesUnder(snapshot: Snapshot, base: string): string[] {
  return [...snapshot.nodes.keys()]
    .filter((name) => name === base || name.endsWith(`.${base}`))
    .map((name) => (name === base ? "" : name.slice(0, -base.length - 1)))
    .sort();
}

describe("zone/snapshot", () => {
  const snapshot = snapshotOf(specObjects());

  describe("always (§2.1)", () => {
    it("has the SOA at the apex with the spec's fields and the snapshot's serial", () => {
      const built = snapshotOf(specObjects(), { ttl: 7 }, 42);
      assert.deepEqual(rrsetText(built, ZONE, SOA), [
        "ns.dns.clusterset.local hostmaster.clusterset.local 42 7200 1800 86400 7",
      ]);
      const record = built.nodes.get(ZONE)?.rrsets.get(SOA)?.[0];
      assert.equal(record, built.soa);
      assert.deepEqual(
        { name: built.soa.name, ttl: built.soa.ttl, class: built.soa.class },
        { name: ZONE, ttl: 7, class: 1 },
      );
      assert.deepEqual(
        { zone: built.zone, ttl: built.ttl, serial: built.serial, generation: built.generation },
        { zone: ZONE, ttl: 7, serial: 42, generation: 1 },
      );
    });

    it("has NS ns.dns.Z at the apex, and ns.dns.Z and dns.Z exist without records by default", () => {
      assert.deepEqual(rrsetText(snapshot, ZONE, NS), ["ns.dns.clusterset.local"]);
      assert.equal(snapshot.nodes.get(fqdn("ns.dns"))?.rrsets.size, 0);
      assert.equal(snapshot.nodes.get(fqdn("dns"))?.rrsets.size, 0);
    });

    it("gives ns.dns.Z the configured addresses, canonical, deduplicated", () => {
      const built = snapshotOf([], { nsAddresses: ["127.0.0.1", "::1", "0:0::1", "127.0.0.2"] });
      assert.deepEqual(rrsetText(built, fqdn("ns.dns"), A), ["127.0.0.1", "127.0.0.2"]);
      assert.deepEqual(rrsetText(built, fqdn("ns.dns"), AAAA), ["::1"]);
    });

    it("has dns-version TXT 1.0.0 with TTL 28800", () => {
      const records = snapshot.nodes.get(fqdn("dns-version"))?.rrsets.get(TXT);
      assert.deepEqual(records, [
        {
          name: fqdn("dns-version"),
          ttl: 28800,
          class: 1,
          data: { type: TXT, strings: ["1.0.0"] },
        },
      ]);
    });

    it("with no services has only the apex names (svc.Z does not exist)", () => {
      assert.deepEqual([...snapshotOf([]).nodes.keys()].sort(), [
        ZONE,
        fqdn("dns-version"),
        fqdn("dns"),
        fqdn("ns.dns"),
      ]);
    });

    it("gives every record but dns-version the configured TTL", () => {
      const built = snapshotOf(specObjects(), { ttl: 0 });
      let count = 0;
      for (const [name, node] of built.nodes)
        for (const records of node.rrsets.values())
          for (const record of records) {
            count++;
            assert.equal(record.ttl, name === fqdn("dns-version") ? 28800 : 0, name);
            assert.equal(record.name, name);
            assert.equal(record.class, 1);
          }
      assert.ok(count > BIG_COUNT);
    });
  });

  describe("ClusterSetIP services (§2.2)", () => {
    it("has exactly the service name, its _p._proto names and their _proto parents", () => {
      assert.deepEqual(namesUnder(snapshot, svc("v4svc")), [
        "",
        "_dns._udp",
        "_foo._tcp",
        "_foo._udp",
        "_http._tcp",
        "_tcp",
        "_udp",
      ]);
    });

    it("answers A from spec.ips", () => {
      assert.deepEqual(rrsetText(snapshot, svc("v4svc"), A), ["10.0.0.1"]);
      assert.deepEqual(rrsetText(snapshot, svc("v4svc"), AAAA), []);
    });

    it("answers A and AAAA for a dual-stack import (v1alpha1)", () => {
      assert.deepEqual(rrsetText(snapshot, svc("dual"), A), ["10.0.0.2"]);
      assert.deepEqual(rrsetText(snapshot, svc("dual"), AAAA), ["fd00::2"]);
    });

    it("answers AAAA only for a v6-only import", () => {
      assert.deepEqual(rrsetText(snapshot, svc("v6only"), A), []);
      assert.deepEqual(rrsetText(snapshot, svc("v6only"), AAAA), ["fd00::3"]);
      assert.deepEqual(namesUnder(snapshot, svc("v6only")), [""]);
    });

    it("keeps the name and its SRV records when spec.ips is empty", () => {
      const node = snapshot.nodes.get(svc("noips"));
      assert.ok(node);
      assert.deepEqual([...node.rrsets.keys()], [SRV]);
      assert.deepEqual(rrsetText(snapshot, svc("_http._tcp.noips"), SRV), [
        `0 100 80 ${svc("noips")}`,
      ]);
    });

    it("keeps the name of an import with no ips and no ports", () => {
      const built = snapshotOf([serviceImport("ns", "bare", {})]);
      assert.equal(built.nodes.get(svc("bare"))?.rrsets.size, 0);
      assert.deepEqual(namesUnder(built, svc("bare")), [""]);
    });

    it("writes one _p._proto SRV per named port, protocol lower case", () => {
      const target = svc("v4svc");
      assert.deepEqual(rrsetText(snapshot, svc("_http._tcp.v4svc"), SRV), [`0 100 80 ${target}`]);
      assert.deepEqual(rrsetText(snapshot, svc("_dns._udp.v4svc"), SRV), [`0 100 53 ${target}`]);
      assert.deepEqual(rrsetText(snapshot, svc("_foo._tcp.v4svc"), SRV), [`0 100 42 ${target}`]);
      assert.deepEqual(rrsetText(snapshot, svc("_foo._udp.v4svc"), SRV), [`0 100 42 ${target}`]);
    });

    it("writes one S.N.svc.Z SRV per distinct port number, named or not (tcp/42 + udp/42 → one)", () => {
      const target = svc("v4svc");
      assert.deepEqual(rrsetText(snapshot, target, SRV), [
        `0 100 80 ${target}`,
        `0 100 53 ${target}`,
        `0 100 42 ${target}`,
        `0 100 8080 ${target}`,
      ]);
    });

    it("uses the SCTP protocol label", () => {
      const built = snapshotOf([
        serviceImport("ns", "s", { ports: [{ name: "sig", protocol: "SCTP", port: 9 }] }),
      ]);
      assert.deepEqual(rrsetText(built, svc("_sig._sctp.s"), SRV), [`0 100 9 ${svc("s")}`]);
    });

    it("has no cluster names even when slices exist for it", () => {
      const built = snapshotOf([
        serviceImport("ns", "vip", { ips: ["10.0.0.9"] }),
        endpointSlice("ns", "vip-c1", {
          service: "vip",
          cluster: "c1",
          endpoints: [{ addresses: ["10.1.1.1"], hostname: "pod" }],
          ports: [{ name: "http", port: 80 }],
        }),
      ]);
      assert.deepEqual(namesUnder(built, svc("vip")), [""]);
      assert.deepEqual(rrsetText(built, svc("vip"), A), ["10.0.0.9"]);
      assert.equal(built.nodes.has(svc("c1.vip")), false);
      assert.equal(built.nodes.has(svc("pod.c1.vip")), false);
    });
  });

  describe("Headless services (§2.3)", () => {
    const hl = svc("hl");

    it("has exactly the per-endpoint names, the cluster and _proto non-terminals", () => {
      assert.deepEqual(namesUnder(snapshot, hl), [
        "",
        "10-1-0-2.c1",
        "10-2-0-2.c2",
        "_http._tcp",
        "_tcp",
        "both.c3",
        "c1",
        "c2",
        "c3",
        "extra",
        "fd00--0.c2",
        "fd00-10-244--5.c2",
        "name.extra",
        "pod-0.c1",
        "pod-0.name.extra",
      ]);
      for (const ent of ["c1", "c2", "c3", "extra", "name.extra", "_tcp"])
        assert.equal(snapshot.nodes.get(`${ent}.${hl}`), EMPTY_NODE, ent);
    });

    it("answers the union of ready addresses over clusters, not-ready and bad-cluster ones left out", () => {
      assert.deepEqual(rrsetText(snapshot, hl, A), [
        "10.1.0.1",
        "10.1.0.2",
        "10.2.0.2",
        "10.4.0.1",
        "10.3.0.1",
      ]);
      assert.deepEqual(rrsetText(snapshot, hl, AAAA), ["fd00:10:244::5", "fd00::", "fd00:4::1"]);
      assert.equal(snapshot.nodes.has(`10-1-0-3.c1.${hl}`), false);
    });

    it("collapses an address served by two clusters into one record", () => {
      const built = snapshotOf([
        serviceImport("ns", "h", { type: "Headless" }),
        endpointSlice("ns", "h-c1", {
          service: "h",
          cluster: "c1",
          endpoints: [{ addresses: ["10.0.0.1"] }],
        }),
        endpointSlice("ns", "h-c2", {
          service: "h",
          cluster: "c2",
          endpoints: [{ addresses: ["10.0.0.1"] }],
        }),
      ]);
      assert.deepEqual(rrsetText(built, svc("h"), A), ["10.0.0.1"]);
      assert.deepEqual(rrsetText(built, svc("10-0-0-1.c1.h"), A), ["10.0.0.1"]);
      assert.deepEqual(rrsetText(built, svc("10-0-0-1.c2.h"), A), ["10.0.0.1"]);
    });

    it("answers per-endpoint names by hostname or by dashed address (v4 and v6)", () => {
      assert.deepEqual(rrsetText(snapshot, `pod-0.c1.${hl}`, A), ["10.1.0.1"]);
      assert.deepEqual(rrsetText(snapshot, `10-1-0-2.c1.${hl}`, A), ["10.1.0.2"]);
      assert.deepEqual(rrsetText(snapshot, `10-2-0-2.c2.${hl}`, A), ["10.2.0.2"]);
      assert.deepEqual(rrsetText(snapshot, `fd00-10-244--5.c2.${hl}`, AAAA), ["fd00:10:244::5"]);
      assert.deepEqual(rrsetText(snapshot, `fd00--0.c2.${hl}`, AAAA), ["fd00::"]);
      assert.deepEqual(rrsetText(snapshot, `pod-0.name.extra.${hl}`, A), ["10.3.0.1"]);
    });

    it("puts the v4 and v6 addresses of one hostname in one cluster under one name", () => {
      assert.deepEqual(rrsetText(snapshot, `both.c3.${hl}`, A), ["10.4.0.1"]);
      assert.deepEqual(rrsetText(snapshot, `both.c3.${hl}`, AAAA), ["fd00:4::1"]);
    });

    it("writes one _p._proto SRV per (target, port), one target for a v4+v6 endpoint", () => {
      assert.deepEqual(rrsetText(snapshot, `_http._tcp.${hl}`, SRV), [
        `0 100 8080 pod-0.c1.${hl}`,
        `0 100 8080 10-1-0-2.c1.${hl}`,
        `0 100 8080 10-2-0-2.c2.${hl}`,
        `0 100 8080 fd00-10-244--5.c2.${hl}`,
        `0 100 8080 fd00--0.c2.${hl}`,
        `0 100 8080 both.c3.${hl}`,
        `0 100 8080 pod-0.name.extra.${hl}`,
      ]);
    });

    it("writes S.N.svc.Z SRV per (target, slice port number), named or not", () => {
      assert.deepEqual(rrsetText(snapshot, hl, SRV), [
        `0 100 8080 pod-0.c1.${hl}`,
        `0 100 9090 pod-0.c1.${hl}`,
        `0 100 8080 10-1-0-2.c1.${hl}`,
        `0 100 9090 10-1-0-2.c1.${hl}`,
        `0 100 8080 10-2-0-2.c2.${hl}`,
        `0 100 8080 fd00-10-244--5.c2.${hl}`,
        `0 100 8080 fd00--0.c2.${hl}`,
        `0 100 8080 both.c3.${hl}`,
        `0 100 8080 pod-0.name.extra.${hl}`,
      ]);
    });

    it("ignores the ServiceImport's own ports for a headless service", () => {
      assert.equal(snapshot.nodes.has(`_ignored._tcp.${hl}`), false);
    });

    it("has no names at all when no endpoint is ready", () => {
      assert.deepEqual(namesUnder(snapshot, svc("empty")), []);
    });

    it("has no N.svc.Z when the namespace's only service has no names", () => {
      const built = snapshotOf([
        serviceImport("lonely", "h", { type: "Headless" }),
        endpointSlice("lonely", "h-c1", {
          service: "h",
          cluster: "c1",
          endpoints: [{ addresses: ["10.0.0.1"], ready: false }, { addresses: [] }],
          ports: [{ name: "http", port: 80 }],
        }),
      ]);
      assert.equal(built.nodes.has(fqdn("lonely.svc")), false);
      assert.equal(built.nodes.has(fqdn("svc")), false);
    });

    it("names an endpoint without hostname after its first address, with all its addresses under it", () => {
      const built = snapshotOf([
        serviceImport("ns", "h", { type: "Headless" }),
        endpointSlice("ns", "h-c1", {
          service: "h",
          cluster: "c1",
          endpoints: [{ addresses: ["10.0.0.2", "10.0.0.1"] }],
          ports: [{ name: "http", port: 80 }],
        }),
      ]);
      assert.deepEqual(rrsetText(built, svc("10-0-0-2.c1.h"), A), ["10.0.0.2", "10.0.0.1"]);
      assert.equal(built.nodes.has(svc("10-0-0-1.c1.h")), false);
      assert.deepEqual(rrsetText(built, svc("_http._tcp.h"), SRV), [
        `0 100 80 ${svc("10-0-0-2.c1.h")}`,
      ]);
    });

    it("collects the addresses of endpoints sharing a hostname in one cluster", () => {
      const built = snapshotOf([
        serviceImport("ns", "h", { type: "Headless" }),
        endpointSlice("ns", "h-a", {
          service: "h",
          cluster: "c1",
          endpoints: [{ addresses: ["10.0.0.1"], hostname: "db" }],
        }),
        endpointSlice("ns", "h-b", {
          service: "h",
          cluster: "c1",
          endpoints: [{ addresses: ["10.0.0.2"], hostname: "db" }],
        }),
      ]);
      assert.deepEqual(rrsetText(built, svc("db.c1.h"), A), ["10.0.0.1", "10.0.0.2"]);
      assert.equal(built.nodes.has(svc("_tcp.h")), false);
      assert.deepEqual(rrsetText(built, svc("h"), SRV), []);
    });

    it("contributes nothing for slices whose import does not exist", () => {
      const built = snapshotOf([
        endpointSlice("ns", "orphan-c1", {
          service: "orphan",
          cluster: "c1",
          endpoints: [{ addresses: ["10.0.0.1"] }],
        }),
      ]);
      assert.deepEqual([...built.nodes.keys()].sort(), [
        ZONE,
        fqdn("dns-version"),
        fqdn("dns"),
        fqdn("ns.dns"),
      ]);
    });

    it("does not mix slices of another namespace with the same service name", () => {
      const built = snapshotOf([
        serviceImport("a", "h", { type: "Headless" }),
        endpointSlice("a", "h-1", {
          service: "h",
          cluster: "c1",
          endpoints: [{ addresses: ["10.0.0.1"] }],
        }),
        endpointSlice("b", "h-1", {
          service: "h",
          cluster: "c1",
          endpoints: [{ addresses: ["10.0.0.2"] }],
        }),
      ]);
      assert.deepEqual(rrsetText(built, fqdn("h.a.svc"), A), ["10.0.0.1"]);
      assert.equal(built.nodes.has(fqdn("b.svc")), false);
    });
  });

  describe("ancestors", () => {
    it("makes svc.Z and N.svc.Z empty non-terminals", () => {
      assert.equal(snapshot.nodes.get(fqdn("svc")), EMPTY_NODE);
      assert.equal(snapshot.nodes.get(fqdn("ns.svc")), EMPTY_NODE);
    });

    it("has an ancestor node for every name up to the apex", () => {
      for (const name of snapshot.nodes.keys()) {
        assert.ok(name === ZONE || name.endsWith(`.${ZONE}`), name);
        let parent = name;
        while (parent !== ZONE) {
          parent = parent.slice(parent.indexOf(".") + 1);
          assert.ok(snapshot.nodes.has(parent), `${parent} (parent of ${name})`);
        }
      }
    });
  });

  describe("ordering", () => {
    it("puts the local cluster's records first (from options)", () => {
      const built = snapshotOf(specObjects(), { localClusterId: "c3" });
      const hl = svc("hl");
      assert.deepEqual(rrsetText(built, hl, A), [
        "10.4.0.1",
        "10.1.0.1",
        "10.1.0.2",
        "10.2.0.2",
        "10.3.0.1",
      ]);
      assert.deepEqual(rrsetText(built, hl, AAAA), ["fd00:4::1", "fd00:10:244::5", "fd00::"]);
      assert.deepEqual(rrsetText(built, `_http._tcp.${hl}`, SRV)[0], `0 100 8080 both.c3.${hl}`);
    });

    it("takes the local cluster from the ClusterProperty when the options have none", () => {
      const built = snapshotOf([...specObjects(), clusterProperty("name.extra")]);
      assert.deepEqual(rrsetText(built, svc("hl"), A)[0], "10.3.0.1");
      const overridden = snapshotOf([...specObjects(), clusterProperty("name.extra")], {
        localClusterId: "c2",
      });
      assert.deepEqual(rrsetText(overridden, svc("hl"), A)[0], "10.2.0.2");
    });

    it("does not depend on the order objects arrive in", () => {
      const forward = snapshotOf(specObjects());
      const backward = snapshotOf([...specObjects()].reverse());
      assert.deepEqual([...backward.nodes.keys()].sort(), [...forward.nodes.keys()].sort());
      for (const [name, node] of forward.nodes)
        for (const type of node.rrsets.keys())
          assert.deepEqual(rrsetText(backward, name, type), rrsetText(forward, name, type), name);
    });
  });

  describe("immutability and memoization", () => {
    it("freezes record arrays and the snapshot", () => {
      const records = snapshot.nodes.get(svc("hl"))?.rrsets.get(A);
      assert.ok(records && Object.isFrozen(records));
      assert.ok(Object.isFrozen(snapshot));
    });

    it("reuses the nodes of unchanged services and rebuilds a changed one", () => {
      const objects = objectSetOf(specObjects());
      const first = buildSnapshot(objects, options(), 1, 1);
      const second = buildSnapshot(objects, options(), 2, 2);
      assert.equal(second.nodes.get(svc("hl")), first.nodes.get(svc("hl")));
      assert.equal(second.nodes.get(svc("v4svc")), first.nodes.get(svc("v4svc")));
      assert.deepEqual(rrsetText(second, ZONE, SOA)[0]?.split(" ")[2], "2");

      const [changed] = objectSetOf([
        endpointSlice("ns", "hl-c1", {
          service: "hl",
          cluster: "c1",
          endpoints: [{ addresses: ["10.1.0.9"] }],
        }),
      ]).slices.values();
      assert.ok(changed);
      objects.slices.set(objectKey(changed), changed);
      const third = buildSnapshot(objects, options(), 3, 3);
      assert.notEqual(third.nodes.get(svc("hl")), second.nodes.get(svc("hl")));
      assert.equal(third.nodes.get(svc("v4svc")), second.nodes.get(svc("v4svc")));
      assert.equal(third.nodes.get(svc("big")), second.nodes.get(svc("big")));
      assert.deepEqual(rrsetText(third, svc("hl"), A), [
        "10.1.0.9",
        "10.2.0.2",
        "10.4.0.1",
        "10.3.0.1",
      ]);
      assert.equal(third.nodes.has(svc("pod-0.c1.hl")), false);

      objects.slices.delete(objectKey(changed));
      const fourth = buildSnapshot(objects, options(), 4, 4);
      assert.deepEqual(rrsetText(fourth, svc("hl"), A), ["10.2.0.2", "10.4.0.1", "10.3.0.1"]);
      assert.equal(fourth.nodes.has(svc("c1.hl")), false);
    });

    it("rebuilds fragments when the TTL or zone changes", () => {
      const objects = objectSetOf(specObjects());
      const five = buildSnapshot(objects, options({ ttl: 5 }), 1, 1);
      const nine = buildSnapshot(objects, options({ ttl: 9 }), 1, 2);
      assert.equal(five.nodes.get(svc("v4svc"))?.rrsets.get(A)?.[0]?.ttl, 5);
      assert.equal(nine.nodes.get(svc("v4svc"))?.rrsets.get(A)?.[0]?.ttl, 9);
      const other = buildSnapshot(objects, options({ zone: "example.test" }), 1, 3);
      assert.deepEqual(other.nodes.get("v4svc.ns.svc.example.test")?.rrsets.get(SRV)?.[0]?.data, {
        type: SRV,
        priority: 0,
        weight: 100,
        port: 80,
        target: "v4svc.ns.svc.example.test",
      });
      assert.equal(other.nodes.has(svc("v4svc")), false);
    });

    it("shares record data between the service name and the per-endpoint names", () => {
      const union = snapshot.nodes.get(svc("hl"))?.rrsets.get(A)?.[0];
      const own = snapshot.nodes.get(svc("pod-0.c1.hl"))?.rrsets.get(A)?.[0];
      assert.ok(union && own);
      assert.equal(union.data, own.data);
    });
  });

  describe("big headless service", () => {
    it("has one target per endpoint", () => {
      assert.equal(rrsetText(snapshot, svc("big"), A).length, BIG_COUNT);
      assert.deepEqual(
        rrsetText(snapshot, svc("_http._tcp.big"), SRV).at(-1),
        `0 100 80 ${svc(`${bigAddress(BIG_COUNT - 1).replaceAll(".", "-")}.c1.big`)}`,
      );
    });
  });

  describe("scale", function () {
    this.timeout(120_000);

    it("builds 10k headless services × 3 clusters × 10 endpoints, and rebuilds one change fast", () => {
      const SERVICES = 10_000;
      const CLUSTERS = ["c1", "c2", "c3"];
      const ENDPOINTS = 10;
      const objects = objectSetOf([]);
      for (let s = 0; s < SERVICES; s++) {
        const name = `svc-${s}`;
        const namespace = `ns-${s % 100}`;
        const service = {
          kind: "ServiceImport" as const,
          namespace,
          name,
          type: "Headless" as const,
          ips: [],
          ports: [],
          clusters: CLUSTERS,
        };
        objects.imports.set(objectKey(service), service);
        CLUSTERS.forEach((clusterId, c) => {
          const slice = {
            kind: "EndpointSlice" as const,
            namespace,
            name: `${name}-${clusterId}`,
            serviceName: name,
            clusterId,
            addressType: "IPv4" as const,
            endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({
              addresses: [`10.${c}.${s >> 8}.${(s & 0xff) ^ (e << 4)}`],
              hostname: undefined,
              ready: true,
              targetRef: undefined,
            })),
            ports: [{ name: "http", protocol: "TCP" as const, port: 80 }],
          };
          objects.slices.set(objectKey(slice), slice);
        });
      }
      let started = performance.now();
      const full = buildSnapshot(objects, options(), 1, 1);
      const fullMs = performance.now() - started;
      // base, _tcp, _http._tcp, 3 cluster ENTs and 30 endpoint names per service; ns-N.svc, svc, apex 4.
      assert.equal(full.nodes.size, SERVICES * 36 + 100 + 1 + 4);

      const touched = objects.slices.get("EndpointSlice/ns-7/svc-7-c2");
      assert.ok(touched);
      objects.slices.set(objectKey(touched), { ...touched, endpoints: touched.endpoints.slice(1) });
      started = performance.now();
      const incremental = buildSnapshot(objects, options(), 2, 2);
      const incrementalMs = performance.now() - started;
      assert.equal(incremental.nodes.size, full.nodes.size - 1);
      assert.equal(
        incremental.nodes.get(fqdn("svc-8.ns-8.svc")),
        full.nodes.get(fqdn("svc-8.ns-8.svc")),
      );
      assert.notEqual(
        incremental.nodes.get(fqdn("svc-7.ns-7.svc")),
        full.nodes.get(fqdn("svc-7.ns-7.svc")),
      );
      console.log(
        `      scale: full build ${fullMs.toFixed(0)} ms, rebuild after one change ${incrementalMs.toFixed(0)} ms, ${full.nodes.size} names`,
      );
      assert.ok(fullMs < 20_000, `full build took ${fullMs} ms`);
      assert.ok(incrementalMs < 20_000, `rebuild took ${incrementalMs} ms`);
    });
  });
});
