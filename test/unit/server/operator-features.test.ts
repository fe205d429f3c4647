import assert from "node:assert/strict";
import { decodeMessage } from "../../../src/wire/message.js";
import { RRType } from "../../../src/wire/types.js";
import { ObjectStore } from "../../../src/source/store.js";
import { AddressAcl, parseCidr } from "../../../src/server/acl.js";
import { clientPrefix, ResponseRateLimiter, truncatedReply } from "../../../src/server/rrl.js";
import { encodeTransfer, transferRecords } from "../../../src/server/transfer.js";
import { parseObject } from "../../../src/zone/objects.js";
import { buildSnapshot } from "../../../src/zone/snapshot.js";
import type { ClusterObject } from "../../../src/zone/types.js";
import { endpointSlice, serviceImport } from "../../support/k8s-objects.js";

describe("AddressAcl", () => {
  it("parses CIDRs and bare addresses, rejects the rest", () => {
    assert.deepEqual(parseCidr("10.0.0.0/8"), { address: "10.0.0.0", prefix: 8, family: "ipv4" });
    assert.deepEqual(parseCidr("::1"), { address: "::1", prefix: 128, family: "ipv6" });
    for (const bad of [
      "10.0.0.0/33",
      "fd00::/129",
      "x/8",
      "10.0.0.0/8/1",
      "10.0.0.0/",
      "10.0.0.0/-1",
    ]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it("matches IPv4, IPv6 and IPv4-mapped IPv6 clients", () => {
    const acl = new AddressAcl([parseCidr("10.1.0.0/16")!, parseCidr("fd00::/8")!]);
    assert.equal(acl.allows("10.1.2.3"), true);
    assert.equal(acl.allows("::ffff:10.1.2.3"), true);
    assert.equal(acl.allows("10.2.0.1"), false);
    assert.equal(acl.allows("fd12::1"), true);
    assert.equal(acl.allows("fe80::1"), false);
    assert.equal(new AddressAcl([]).allows("127.0.0.1"), false);
  });
});

describe("ResponseRateLimiter", () => {
  it("groups clients by /24 and /56", () => {
    assert.equal(clientPrefix("192.0.2.77"), "192.0.2");
    assert.equal(clientPrefix("::ffff:192.0.2.77"), "192.0.2");
    assert.equal(clientPrefix("2001:db8:1:2345::1"), "2001:db8:1:2300");
    assert.equal(clientPrefix("2001:db8:1:23ff:ffff::1"), clientPrefix("2001:db8:1:2300::9"));
    assert.notEqual(clientPrefix("2001:db8:1:2400::1"), clientPrefix("2001:db8:1:2300::1"));
  });

  it("allows `rate` per second with that burst, then refills", () => {
    let now = 0;
    const limiter = new ResponseRateLimiter({ rate: 5, now: () => now });
    const burst = Array.from({ length: 8 }, () => limiter.allow("192.0.2.1"));
    assert.deepEqual(burst, [true, true, true, true, true, false, false, false]);
    assert.equal(limiter.allow("192.0.3.1"), true, "another /24 has its own bucket");
    now += 400; // 2 tokens
    assert.deepEqual(
      [limiter.allow("192.0.2.9"), limiter.allow("192.0.2.9"), limiter.allow("192.0.2.9")],
      [true, true, false],
    );
  });

  it("forgets the stalest client beyond maxClients", () => {
    const limiter = new ResponseRateLimiter({ rate: 1, maxClients: 2, now: () => 0 });
    assert.equal(limiter.allow("10.0.1.1"), true);
    assert.equal(limiter.allow("10.0.1.1"), false);
    limiter.allow("10.0.2.1");
    limiter.allow("10.0.3.1"); // evicts 10.0.1.x
    assert.equal(limiter.allow("10.0.1.1"), true, "a fresh bucket");
  });

  it("a slip keeps header and question, sets TC and drops every record", () => {
    const reply = Uint8Array.from([
      0x12,
      0x34,
      0x84,
      0x00,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      0,
      1,
      0x61,
      0,
      0,
      1,
      0,
      1, // question a. A IN
      0xc0,
      12,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      5,
      0,
      4,
      10,
      0,
      0,
      1,
    ]);
    const slip = truncatedReply(reply);
    assert.deepEqual(
      [...slip],
      [0x12, 0x34, 0x86, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1],
    );
  });
});

describe("zone transfer encoding", () => {
  const objects: ClusterObject[] = [];
  const raws = [
    serviceImport("ns", "big", { type: "Headless" }),
    endpointSlice("ns", "big-1", {
      service: "big",
      cluster: "c1",
      endpoints: Array.from({ length: 1000 }, (_, i) => ({
        addresses: [`10.${i >> 8}.${i & 255}.1`],
      })),
      ports: [{ name: "http", port: 80 }],
    }),
    endpointSlice("ns", "big-2", {
      service: "big",
      cluster: "c2",
      endpoints: Array.from({ length: 1000 }, (_, i) => ({
        addresses: [`10.9${i >> 8}.${i & 255}.1`],
      })),
      ports: [{ name: "http", port: 80 }],
    }),
  ];
  for (const raw of raws) objects.push(parseObject(raw)!.object!);
  const store = new ObjectStore();
  const sink = store.sink("test");
  for (const kind of ["ServiceImport", "EndpointSlice"] as const) {
    sink.replace(
      kind,
      objects.filter((o) => o.kind === kind),
    );
  }
  const snapshot = buildSnapshot(
    store.objects,
    { zone: "clusterset.local", ttl: 5, nsAddresses: [] },
    7,
    1,
  );

  it("spans several messages of at most 65535 bytes, SOA first and last, TC clear, all records", () => {
    const question = {
      bytes: Uint8Array.from([
        10,
        ...Buffer.from("clusterset"),
        5,
        ...Buffer.from("local"),
        0,
        0,
        252,
        0,
        1,
      ]),
      nameLower: "clusterset.local",
    };
    const messages = encodeTransfer(snapshot, { id: 42, rd: false, cd: false, question });
    assert.ok(messages.length >= 2, `${messages.length} messages`);
    const records = messages.flatMap((m, i) => {
      assert.ok(m.length <= 65535);
      const decoded = decodeMessage(m);
      assert.equal(decoded.header.id, 42);
      assert.equal(decoded.header.tc, false);
      assert.equal(decoded.header.aa, true);
      assert.equal(decoded.questions.length, i === 0 ? 1 : 0, "question only in the first message");
      return decoded.answer;
    });
    assert.equal(records.length, transferRecords(snapshot).length);
    assert.equal(records[0]!.data.type, RRType.SOA);
    assert.equal(records.at(-1)!.data.type, RRType.SOA);
    assert.equal(records.filter((r) => r.data.type === RRType.SOA).length, 2);
    assert.equal(
      records.filter((r) => r.name === "big.ns.svc.clusterset.local" && r.data.type === RRType.A)
        .length,
      2000,
    );
  });
});
