import assert from "node:assert/strict";
import fc from "fast-check";
import { CommonQuery, parseQuery, scanCommonQuery } from "../../../src/wire/decode.js";
import { encodeQuery } from "../../../src/wire/message.js";
import { EdnsOption, RRType } from "../../../src/wire/types.js";

function scan(packet: Uint8Array): CommonQuery | undefined {
  const out = new CommonQuery();
  return scanCommonQuery(packet, out) ? out : undefined;
}

describe("scanCommonQuery", () => {
  it("reads a plain query in place", () => {
    const packet = encodeQuery({ id: 0xbeef, name: "Web.NS.svc.clusterset.local", type: 28 });
    const q = scan(packet);
    assert.ok(q);
    assert.equal(q.id, 0xbeef);
    assert.equal(q.rd, true);
    assert.equal(q.cd, false);
    assert.equal(q.qtype, 28);
    assert.equal(q.qclass, 1);
    assert.equal(q.nameEnd, 12 + 29);
    assert.equal(q.questionEnd, 12 + 29 + 4);
    assert.equal(q.edns, false);
    assert.equal(q.nsid, false);
  });

  it("reads one OPT: payload size, version, DO and NSID", () => {
    const packet = encodeQuery({
      id: 1,
      name: "a.clusterset.local",
      type: RRType.SRV,
      rd: false,
      cd: true,
      edns: {
        udpPayloadSize: 4096,
        dnssecOk: true,
        version: 1,
        options: [
          { code: 10, data: new Uint8Array(8) },
          { code: EdnsOption.NSID, data: new Uint8Array(0) },
        ],
      },
    });
    const q = scan(packet);
    assert.ok(q);
    assert.deepEqual(
      [q.rd, q.cd, q.edns, q.udpPayloadSize, q.ednsVersion, q.dnssecOk, q.nsid],
      [false, true, true, 4096, 1, true, true],
    );
  });

  it("leaves every unusual shape to parseQuery", () => {
    const base = encodeQuery({ id: 7, name: "a.clusterset.local", type: 1 });
    const variant = (edit: (p: Uint8Array) => void, from: Uint8Array = base): Uint8Array => {
      const p = Uint8Array.from(from);
      edit(p);
      return p;
    };
    const withOpt = encodeQuery({
      id: 7,
      name: "a.clusterset.local",
      type: 1,
      edns: { udpPayloadSize: 1232 },
    });
    const cases: Record<string, Uint8Array> = {
      short: base.subarray(0, 11),
      response: variant((p) => (p[2] = p[2]! | 0x80)),
      "opcode 2": variant((p) => (p[2] = p[2]! | 0x10)),
      "QDCOUNT 2": variant((p) => (p[5] = 2)),
      "QDCOUNT 0": variant((p) => (p[5] = 0)),
      "ANCOUNT 1": variant((p) => (p[7] = 1)),
      "NSCOUNT 1": variant((p) => (p[9] = 1)),
      "ARCOUNT 2": variant((p) => (p[11] = 2)),
      "ARCOUNT 256": variant((p) => (p[10] = 1)),
      "compressed name": Uint8Array.from([...base.subarray(0, 12), 0xc0, 12, 0, 1, 0, 1]),
      "label type 01": variant((p) => (p[12] = 0x41)),
      "name cut short": base.subarray(0, 20),
      "class cut short": base.subarray(0, base.length - 1),
      "ARCOUNT 1 without a record": variant((p) => (p[11] = 1)),
      "OPT with a non-root owner": Uint8Array.from([
        ...base.subarray(0, 10),
        0,
        1,
        ...base.subarray(12),
        1,
        0x61,
        0,
        0,
        41,
        4,
        0xd0,
        0,
        0,
        0,
        0,
        0,
        0,
      ]),
      "additional record not an OPT": variant((p) => (p[withOpt.length - 10] = 16), withOpt),
      "OPT data cut short": variant((p) => (p[withOpt.length - 1] = 4), withOpt),
      "EDNS option cut short": Uint8Array.from([
        ...withOpt.subarray(0, withOpt.length - 2),
        0,
        3,
        0,
        3,
        0,
      ]),
    };
    for (const [label, packet] of Object.entries(cases)) {
      assert.equal(scan(packet), undefined, label);
    }
    assert.ok(scan(base));
    assert.ok(scan(withOpt));
  });

  it("accepts exactly the 255-byte name limit readName accepts", () => {
    // 4 labels of 63 bytes = 256 wire bytes with the root; 3 × 63 + 61 = 254 + root = 255.
    const name = (last: number) =>
      [...Array.from({ length: 3 }, () => "x".repeat(63)), "y".repeat(last)].join(".");
    const ok = encodeQuery({ id: 1, name: name(61), type: 1 });
    assert.ok(scan(ok));
    assert.equal(parseQuery(ok).kind, "query");
    const tooLong = Uint8Array.from(ok);
    tooLong[12 + 3 * 64] = 62; // claims one more byte: 256 bytes of name
    assert.equal(scan(tooLong), undefined);
    assert.equal(parseQuery(tooLong).kind, "formerr");
  });

  it("agrees with parseQuery on every packet it accepts (random and mutated packets)", () => {
    const names = ["a.clusterset.local", "Web.Ns.svc.clusterset.local", "x", "", "ZZ.example"];
    const query = fc
      .record({
        id: fc.integer({ min: 0, max: 0xffff }),
        name: fc.constantFrom(...names),
        type: fc.integer({ min: 0, max: 0xffff }),
        class: fc.constantFrom(1, 3, 255, 0x1234),
        rd: fc.boolean(),
        cd: fc.boolean(),
        edns: fc.option(
          fc.record({
            udpPayloadSize: fc.integer({ min: 0, max: 0xffff }),
            dnssecOk: fc.boolean(),
            version: fc.integer({ min: 0, max: 2 }),
            options: fc.array(
              fc.record({
                code: fc.constantFrom(3, 8, 10, 0xfff0),
                data: fc.uint8Array({ maxLength: 6 }),
              }),
              { maxLength: 3 },
            ),
          }),
          { nil: undefined },
        ),
      })
      .map((q) => encodeQuery(q));
    const mutated = fc
      .tuple(
        query,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.uint8Array({ maxLength: 8 }),
      )
      .map(([packet, flips, cut, tail]) => {
        const p = Uint8Array.from([...packet, ...tail]);
        for (const [at, value] of flips) p[at % p.length] = value;
        return cut === undefined ? p : p.subarray(0, cut % (p.length + 1));
      });
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(query, mutated), (packet) => {
        const q = scan(packet);
        if (q === undefined) return;
        accepted++;
        const parsed = parseQuery(packet);
        assert.equal(parsed.kind, "query");
        if (parsed.kind !== "query") return;
        assert.equal(q.id, parsed.header.id);
        assert.equal(q.rd, parsed.header.rd);
        assert.equal(q.cd, parsed.header.cd);
        assert.equal(q.qtype, parsed.question.type);
        assert.equal(q.qclass, parsed.question.class);
        assert.deepEqual(packet.subarray(12, q.questionEnd), parsed.questionBytes);
        assert.equal(q.nameEnd, q.questionEnd - 4);
        assert.equal(q.edns, parsed.edns !== undefined);
        if (parsed.edns !== undefined) {
          assert.equal(q.udpPayloadSize, parsed.edns.udpPayloadSize);
          assert.equal(q.ednsVersion, parsed.edns.version);
          assert.equal(q.dnssecOk, parsed.edns.dnssecOk);
          assert.equal(
            q.nsid,
            parsed.edns.options.some((o) => o.code === EdnsOption.NSID),
          );
        }
      }),
      { numRuns: 4000, seed: 6 },
    );
    assert.ok(accepted > 1000, `only ${accepted} packets took the fast path`);
  });
});
