import assert from "node:assert/strict";
import { RRType, type ResourceRecord } from "../../../src/wire/types.js";
import { hostLabelForAddress, isDnsLabel } from "../../../src/zone/hostlabel.js";
import {
  EMPTY_NODE,
  makeNode,
  RRsetNode,
  SingleRRsetNode,
  ZoneNodes,
} from "../../../src/zone/nodes.js";
import type { ZoneNode } from "../../../src/zone/snapshot.js";
import { specObjects } from "../../support/spec-fixture.js";
import { snapshotOf, ZONE } from "./zone-helpers.js";

const a = (name: string, address: string): ResourceRecord => ({
  name,
  ttl: 5,
  class: 1,
  data: { type: RRType.A, address },
});

describe("zone/hostlabel", () => {
  it("dashes IPv4 and IPv6 addresses as Kubernetes DNS does", () => {
    assert.equal(hostLabelForAddress("10.2.0.2"), "10-2-0-2");
    assert.equal(hostLabelForAddress("fd00:10:244::5"), "fd00-10-244--5");
    assert.equal(hostLabelForAddress("fd00::"), "fd00--0");
    assert.equal(hostLabelForAddress("::1"), "--1");
    assert.equal(hostLabelForAddress("2001:db8:1:2:3:4:5:6"), "2001-db8-1-2-3-4-5-6");
  });

  it("accepts lower-case RFC 1123 labels only", () => {
    for (const ok of ["a", "0", "pod-0", "a".repeat(63), "1-2"])
      assert.equal(isDnsLabel(ok), true, ok);
    for (const bad of ["", "A", "-a", "a-", "a.b", "a_b", "a".repeat(64), "é"])
      assert.equal(isDnsLabel(bad), false, bad);
  });
});

describe("zone/nodes", () => {
  it("makeNode picks a one-set node for one type and a multi-set node otherwise", () => {
    const one = makeNode([RRType.A], [[a("x", "127.0.0.1")]]);
    assert.ok(one instanceof SingleRRsetNode);
    assert.deepEqual(
      one.rrsets.get(RRType.A)?.map((r) => r.name),
      ["x"],
    );
    assert.equal(one.rrsets.get(RRType.AAAA), undefined);
    assert.equal(one.rrsets.has(RRType.A), true);
    assert.equal(one.rrsets.size, 1);
    assert.deepEqual([...one.rrsets.keys()], [RRType.A]);

    const two = makeNode([RRType.A, RRType.SRV], [[a("x", "127.0.0.1")], []]);
    assert.ok(two instanceof RRsetNode);
    assert.equal(two.rrsets.size, 2);
    assert.deepEqual([...two.rrsets.keys()], [RRType.A, RRType.SRV]);
    assert.deepEqual(
      [...two.rrsets].map(([type, records]) => [type, records.length]),
      [
        [RRType.A, 1],
        [RRType.SRV, 0],
      ],
    );
    const seen: number[] = [];
    two.rrsets.forEach((_records, type) => seen.push(type));
    assert.deepEqual(seen, [RRType.A, RRType.SRV]);
    assert.ok(Object.isFrozen(two.rrsets.get(RRType.A)));
  });

  it("EMPTY_NODE has no record sets", () => {
    assert.equal(EMPTY_NODE.rrsets.size, 0);
    assert.deepEqual([...EMPTY_NODE.rrsets.values()], []);
    assert.equal(EMPTY_NODE.rrsets.get(RRType.A), undefined);
  });

  it("ZoneNodes routes names to the owning service's map", () => {
    const common = new Map<string, ZoneNode>([
      ["z", EMPTY_NODE],
      ["svc.z", EMPTY_NODE],
      ["n.svc.z", EMPTY_NODE],
    ]);
    const web = makeNode([RRType.A], [[a("web.n.svc.z", "127.0.0.1")]]);
    const pod = makeNode([RRType.A], [[a("p.c1.web.n.svc.z", "127.0.0.2")]]);
    const services = new Map([
      [
        "web.n",
        new Map<string, ZoneNode>([
          ["web.n.svc.z", web],
          ["c1.web.n.svc.z", EMPTY_NODE],
          ["p.c1.web.n.svc.z", pod],
        ]),
      ],
    ]);
    const nodes = new ZoneNodes(common, services, ".svc.z");
    assert.equal(nodes.size, 6);
    assert.equal(nodes.get("web.n.svc.z"), web);
    assert.equal(nodes.get("p.c1.web.n.svc.z"), pod);
    assert.equal(nodes.get("c1.web.n.svc.z"), EMPTY_NODE);
    assert.equal(nodes.get("n.svc.z"), EMPTY_NODE);
    for (const missing of [
      "other.n.svc.z",
      "web.m.svc.z",
      "x.web.n.svc.z",
      ".n.svc.z",
      "svc.z.x",
      "web.n.svc.y",
      "",
      "n",
    ])
      assert.equal(nodes.get(missing), undefined, missing);
    assert.equal(nodes.has("web.n.svc.z"), true);
    assert.equal(nodes.has("q.c1.web.n.svc.z"), false);
    assert.deepEqual(
      [...nodes.keys()],
      ["z", "svc.z", "n.svc.z", "web.n.svc.z", "c1.web.n.svc.z", "p.c1.web.n.svc.z"],
    );
    assert.equal([...nodes.values()].length, 6);
    let count = 0;
    nodes.forEach(() => count++);
    assert.equal(count, 6);
  });

  it("a snapshot's nodes agree with iteration for every name", () => {
    const snapshot = snapshotOf(specObjects());
    let count = 0;
    for (const [name, node] of snapshot.nodes) {
      count++;
      assert.equal(snapshot.nodes.get(name), node, name);
      assert.equal(
        snapshot.nodes.get(name.toUpperCase()),
        name === name.toUpperCase() ? node : undefined,
      );
    }
    assert.equal(count, snapshot.nodes.size);
    assert.ok(snapshot.nodes.has(ZONE));
  });
});
