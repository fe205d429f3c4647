import assert from "node:assert/strict";
import { RRType, type RecordData } from "../../../src/wire/types.js";
import { DataNode, makeDataNode, SingleDataNode } from "../../../src/zone/nodes.js";

const a = (address: string): RecordData => ({ type: RRType.A, address });
const srv = (port: number): RecordData => ({
  type: RRType.SRV,
  priority: 0,
  weight: 100,
  port,
  target: "t.example",
});

describe("zone/nodes data nodes (records made on read)", () => {
  it("makes the records of one type with the owner, TTL and class IN, in order", () => {
    const first = a("127.0.0.1");
    const second = a("127.0.0.2");
    const node = makeDataNode("x.example", 7, [RRType.A], [[first, second]]);
    assert.ok(node instanceof SingleDataNode);
    assert.deepEqual(node.rrsets.get(RRType.A), [
      { name: "x.example", ttl: 7, class: 1, data: first },
      { name: "x.example", ttl: 7, class: 1, data: second },
    ]);
    assert.equal(node.rrsets.get(RRType.A)?.[0]?.data, first);
    assert.equal(node.rrsets.get(RRType.AAAA), undefined);
    assert.deepEqual([...node.rrsets.keys()], [RRType.A]);
    assert.equal(node.rrsets.size, 1);
  });

  it("returns one frozen array per record set while it is in use", () => {
    const node = makeDataNode(
      "x.example",
      5,
      [RRType.A, RRType.SRV],
      [[a("127.0.0.1")], [srv(80), srv(81)]],
    );
    assert.ok(node instanceof DataNode);
    const records = node.rrsets.get(RRType.SRV);
    assert.ok(records && Object.isFrozen(records));
    assert.equal(node.rrsets.get(RRType.SRV), records);
    assert.equal(node.rrsets.get(RRType.A), [...node.rrsets.values()][0]);
    assert.deepEqual(
      [...node.rrsets].map(([type, set]) => [type, set.map((r) => r.data.type)]),
      [
        [RRType.A, [RRType.A]],
        [RRType.SRV, [RRType.SRV, RRType.SRV]],
      ],
    );
    const seen: number[] = [];
    node.rrsets.forEach((set, type) => seen.push(type, set.length));
    assert.deepEqual(seen, [RRType.A, 1, RRType.SRV, 2]);
    assert.equal(node.rrsets.has(RRType.SRV), true);
    assert.equal(node.rrsets.has(RRType.TXT), false);
  });

  it("copies the arrays it is given, so a builder may keep growing its own", () => {
    const set = [a("127.0.0.1")];
    const node = makeDataNode("x.example", 5, [RRType.A], [set]);
    set.push(a("127.0.0.2"));
    assert.equal(node.rrsets.get(RRType.A)?.length, 1);
  });
});
