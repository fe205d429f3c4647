import assert from "node:assert/strict";
import fc from "fast-check";
import type { ObjectSet } from "../../../src/source/store.js";
import { AnswerCache } from "../../../src/server/cache.js";
import { QueryPolicy, type Outcome, type Transport } from "../../../src/server/policy.js";
import { CommonQuery, scanCommonQuery } from "../../../src/wire/decode.js";
import { decodeMessage, encodeQuery } from "../../../src/wire/message.js";
import { EdnsOption, RRType } from "../../../src/wire/types.js";
import { parseObject } from "../../../src/zone/objects.js";
import { buildSnapshot, type Snapshot } from "../../../src/zone/snapshot.js";
import {
  objectKey,
  type ClusterObject,
  type EndpointSlice,
  type ServiceImport,
} from "../../../src/zone/types.js";
import { endpointSlice, serviceImport } from "../../support/k8s-objects.js";

const ZONE = "clusterset.local";

function snapshotOf(raws: Record<string, unknown>[], generation: number): Snapshot {
  const imports = new Map<string, ServiceImport>();
  const slices = new Map<string, EndpointSlice>();
  for (const raw of raws) {
    const object: ClusterObject | undefined = parseObject(raw)?.object;
    if (object?.kind === "ServiceImport") imports.set(objectKey(object), object);
    else if (object?.kind === "EndpointSlice") slices.set(objectKey(object), object);
  }
  const set: ObjectSet = { imports, slices, clusterProperties: new Map() };
  return buildSnapshot(set, { zone: ZONE, ttl: 5, nsAddresses: [] }, generation, generation);
}

const RAWS = [
  serviceImport("prod", "web", {
    ips: ["10.0.0.1", "fd00::1"],
    ports: [{ name: "http", port: 80 }],
  }),
  serviceImport("prod", "db", { type: "Headless" }),
  endpointSlice("prod", "db-c1", {
    service: "db",
    cluster: "c1",
    endpoints: [
      { addresses: ["10.1.0.1"], hostname: "h1" },
      { addresses: ["10.1.0.2"] },
      { addresses: ["10.1.0.3"], ready: false },
    ],
    ports: [{ name: "pg", port: 5432 }],
  }),
  endpointSlice("prod", "db-c2", {
    service: "db",
    cluster: "c2",
    endpoints: Array.from({ length: 40 }, (_, i) => ({ addresses: [`10.2.0.${i + 1}`] })),
    ports: [{ name: "pg", port: 5432 }],
  }),
];

const NAMES = [
  "web.prod.svc.clusterset.local",
  "_http._tcp.web.prod.svc.clusterset.local",
  "db.prod.svc.clusterset.local",
  "_pg._tcp.db.prod.svc.clusterset.local",
  "h1.c1.db.prod.svc.clusterset.local",
  "10-1-0-2.c1.db.prod.svc.clusterset.local",
  "c2.db.prod.svc.clusterset.local",
  "missing.prod.svc.clusterset.local",
  "prod.svc.clusterset.local",
  "clusterset.local",
  "dns-version.clusterset.local",
  "ns.dns.clusterset.local",
  "example.com",
  "1.0.0.10.in-addr.arpa",
  "",
  "id.server",
];
const TYPES = [
  RRType.A,
  RRType.AAAA,
  RRType.SRV,
  RRType.TXT,
  RRType.SOA,
  RRType.NS,
  RRType.ANY,
  RRType.AXFR,
  RRType.PTR,
  666,
];

interface Counts {
  hits: number;
  misses: number;
}

function policyWith(snapshot: Snapshot | undefined, counts?: Counts): QueryPolicy {
  const cache = new AnswerCache({
    maxBytes: 4 * 1024 * 1024,
    hooks: counts && {
      hit: () => counts.hits++,
      miss: () => counts.misses++,
      eviction: () => undefined,
    },
  });
  return new QueryPolicy(
    { zone: ZONE, maxUdpPayload: 1232, nsid: "ns-test", serverId: "srv-1" },
    { current: snapshot },
    cache,
  );
}

function randomCase(name: string, flips: readonly boolean[]): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    out += flips[i % flips.length] ? c.toUpperCase() : c;
  }
  return out;
}

/** The same query as `packet` with another ID, RD and CD toggled and the name's case swapped. */
function sibling(packet: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(packet);
  if (copy.length < 4) return copy;
  copy[0] = copy[0]! ^ 0x5a;
  copy[1] = copy[1]! ^ 0xa5;
  copy[2] = copy[2]! ^ 0x01;
  copy[3] = copy[3]! ^ 0x10;
  const common = new CommonQuery();
  if (scanCommonQuery(copy, common)) {
    for (let i = 12; i < common.nameEnd; i++) {
      const c = copy[i]!;
      if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) copy[i] = c ^ 0x20;
    }
  }
  return copy;
}

function bytesOf(outcome: Outcome): number[] | undefined {
  return outcome.reply === undefined ? undefined : [...outcome.reply];
}

const query = fc
  .record({
    id: fc.integer({ min: 0, max: 0xffff }),
    name: fc.constantFrom(...NAMES),
    caseFlips: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
    type: fc.oneof(fc.constantFrom(...TYPES), fc.integer({ min: 0, max: 0xffff })),
    class: fc.constantFrom(1, 1, 1, 3, 255, 254),
    rd: fc.boolean(),
    cd: fc.boolean(),
    flagBits: fc.integer({ min: 0, max: 0x06 }),
    edns: fc.option(
      fc.record({
        udpPayloadSize: fc.constantFrom(0, 512, 1232, 4096, 600),
        dnssecOk: fc.boolean(),
        version: fc.constantFrom(0, 0, 0, 1),
        options: fc.array(
          fc.record({
            code: fc.constantFrom(EdnsOption.NSID, 8, 10),
            data: fc.uint8Array({ maxLength: 4 }),
          }),
          { maxLength: 2 },
        ),
      }),
      { nil: undefined },
    ),
  })
  .map((q) => {
    const packet = encodeQuery({ ...q, name: randomCase(q.name, q.caseFlips) });
    packet[2] = packet[2]! | q.flagBits; // AA/TC in a query: ignored, must stay ignored
    return packet;
  });

const mutated = fc
  .tuple(
    query,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
    fc.option(fc.nat(), { nil: undefined }),
    fc.uint8Array({ maxLength: 6 }),
  )
  .map(([packet, flips, cut, tail]) => {
    const p = Uint8Array.from([...packet, ...tail]);
    for (const [at, value] of flips) p[at % p.length] = value;
    return cut === undefined ? p : p.subarray(0, cut % (p.length + 1));
  });

describe("answer-cache fast path", () => {
  const snapshot = snapshotOf(RAWS, 1);

  it("replies byte for byte as an uncached full decode does (random and mutated packets)", () => {
    const counts: Counts = { hits: 0, misses: 0 };
    const warm = policyWith(snapshot, counts);
    let fastHits = 0;
    fc.assert(
      fc.property(
        fc.oneof(query, mutated),
        fc.constantFrom<Transport>("udp", "udp", "tcp"),
        (packet, transport) => {
          // The reference: a policy with an empty cache encodes this very packet.
          const expected = policyWith(snapshot).respond(packet, transport, "127.0.0.1");
          // A sibling fills the warm cache under the same key, then the packet itself is answered
          // from it (through the fast path when it has the common shape).
          warm.respond(sibling(packet), transport, "127.0.0.1");
          const hitsBefore = counts.hits;
          const actual = warm.respond(packet, transport, "127.0.0.1");
          if (counts.hits > hitsBefore && scanCommonQuery(packet, new CommonQuery())) fastHits++;
          assert.deepEqual(bytesOf(actual), bytesOf(expected));
          assert.equal(actual.rcode, expected.rcode);
          assert.equal(actual.qtype, expected.qtype);
          assert.equal(actual.dropReason, expected.dropReason);
        },
      ),
      { numRuns: 4000, seed: 1645 },
    );
    assert.ok(fastHits > 400, `only ${fastHits} answers came from the fast path`);
  });

  it("counts one miss then one hit per answerable question, none for the rest", () => {
    const counts: Counts = { hits: 0, misses: 0 };
    const policy = policyWith(snapshot, counts);
    const ask = (name: string, type: number, id = 1) =>
      policy.respond(encodeQuery({ id, name, type }), "udp");
    ask("web.prod.svc.clusterset.local", RRType.A);
    assert.deepEqual(counts, { hits: 0, misses: 1 });
    const again = ask("WEB.prod.svc.clusterset.local", RRType.A, 0x4242);
    assert.deepEqual(counts, { hits: 1, misses: 1 });
    const decoded = decodeMessage(again.reply!);
    assert.equal(decoded.header.id, 0x4242);
    assert.equal(decoded.questions[0]?.name, "WEB.prod.svc.clusterset.local");
    assert.equal(decoded.answer.length, 1);
    ask("example.com", RRType.A); // REFUSED: never looked up in the cache
    ask("example.com", RRType.A);
    ask("web.prod.svc.clusterset.local", RRType.A, 7);
    assert.deepEqual(counts, { hits: 2, misses: 1 });
  });

  it("never serves an answer of an older snapshot", () => {
    const source: { current: Snapshot | undefined } = { current: undefined };
    const policy = new QueryPolicy(
      { zone: ZONE, maxUdpPayload: 1232 },
      source,
      new AnswerCache({ maxBytes: 1024 * 1024 }),
    );
    const packet = encodeQuery({ id: 9, name: "web.prod.svc.clusterset.local", type: RRType.A });
    const address = () => {
      const answer = decodeMessage(policy.respond(packet, "udp").reply!).answer;
      assert.equal(answer.length, 1);
      const data = answer[0]!.data;
      return "address" in data ? data.address : undefined;
    };
    assert.equal(policy.respond(packet, "udp").rcode, 2, "SERVFAIL before the first sync");
    source.current = snapshot;
    assert.equal(address(), "10.0.0.1");
    assert.equal(address(), "10.0.0.1", "now from the cache");
    source.current = snapshotOf([serviceImport("prod", "web", { ips: ["10.9.9.9"] })], 2);
    assert.equal(address(), "10.9.9.9");
  });
});
