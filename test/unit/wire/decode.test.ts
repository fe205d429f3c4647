import assert from "node:assert/strict";
import { parseQuery, readHeader, type ParsedQuery } from "../../../src/wire/decode.js";
import { encodeQuery } from "../../../src/wire/message.js";
import { RRClass, RRType } from "../../../src/wire/types.js";

/** A 12-byte header with the given flag bytes and counts. */
function header(
  counts: { qd?: number; an?: number; ns?: number; ar?: number } = {},
  flags = 0x01,
  flags2 = 0x00,
  id = 0x1234,
): number[] {
  const { qd = 1, an = 0, ns = 0, ar = 0 } = counts;
  return [id >> 8, id & 0xff, flags, flags2, 0, qd, 0, an, 0, ns, 0, ar];
}

/** Wire labels of a dotted ASCII name, root byte included. */
function name(text: string): number[] {
  const out: number[] = [];
  for (const label of text === "" ? [] : text.split(".")) {
    out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  }
  out.push(0);
  return out;
}

const TYPE_A = [0, 1];
const CLASS_IN = [0, 1];

/** An OPT record: root owner, payload size, ext rcode, version, flags, raw rdata bytes. */
function opt(size: number, version = 0, flags = 0, rdata: number[] = [], owner: number[] = [0]) {
  return [
    ...owner,
    0,
    41,
    size >> 8,
    size & 0xff,
    0,
    version,
    flags >> 8,
    flags & 0xff,
    rdata.length >> 8,
    rdata.length & 0xff,
    ...rdata,
  ];
}

function parse(bytes: number[]): ParsedQuery {
  return parseQuery(Uint8Array.from(bytes));
}

function expectFormerr(result: ParsedQuery, withQuestion: boolean): string {
  assert.equal(result.kind, "formerr");
  if (result.kind !== "formerr") throw new Error("unreachable");
  assert.equal(result.question !== undefined, withQuestion, `question presence (${result.reason})`);
  return result.reason;
}

describe("wire/decode readHeader", () => {
  it("decodes every header field and flag", () => {
    const h = readHeader(
      Uint8Array.from([0xbe, 0xef, 0b1_0010_1_1_1, 0b1_1_1_1_0011, 0, 1, 0, 2, 0, 3, 1, 4]),
    );
    assert.deepEqual(h, {
      id: 0xbeef,
      qr: true,
      opcode: 2,
      aa: true,
      tc: true,
      rd: true,
      ra: true,
      z: true,
      ad: true,
      cd: true,
      rcode: 3,
      qdcount: 1,
      ancount: 2,
      nscount: 3,
      arcount: 260,
    });
  });

  it("decodes a header with every flag clear", () => {
    const h = readHeader(Uint8Array.from(header({ qd: 0 }, 0, 0, 7)));
    assert.deepEqual(h, {
      id: 7,
      qr: false,
      opcode: 0,
      aa: false,
      tc: false,
      rd: false,
      ra: false,
      z: false,
      ad: false,
      cd: false,
      rcode: 0,
      qdcount: 0,
      ancount: 0,
      nscount: 0,
      arcount: 0,
    });
  });
});

describe("wire/decode parseQuery", () => {
  it("parses a plain query", () => {
    const packet = Uint8Array.from([...header(), ...name("www.Example.COM"), 0, 28, 0, 1]);
    const result = parseQuery(packet);
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.equal(result.header.id, 0x1234);
    assert.equal(result.header.rd, true);
    assert.deepEqual(result.question, {
      name: "www.Example.COM",
      nameLower: "www.example.com",
      type: RRType.AAAA,
      class: RRClass.IN,
    });
    assert.deepEqual(Array.from(result.questionBytes), Array.from(packet.subarray(12)));
    assert.equal(result.edns, undefined);
  });

  it("drops packets shorter than a header", () => {
    assert.deepEqual(parseQuery(new Uint8Array(0)), { kind: "drop", reason: "short" });
    assert.deepEqual(parseQuery(Uint8Array.from(header().slice(0, 11))), {
      kind: "drop",
      reason: "short",
    });
  });

  it("drops responses (QR=1), even when otherwise malformed", () => {
    assert.deepEqual(parse([...header({ qd: 5 }, 0x81)]), { kind: "drop", reason: "response" });
    assert.deepEqual(parse([...header({}, 0x80), ...name("a"), ...TYPE_A, ...CLASS_IN]), {
      kind: "drop",
      reason: "response",
    });
  });

  it("answers NOTIMP for opcodes other than QUERY before looking at the question", () => {
    for (const opcode of [1, 2, 4, 5, 15]) {
      const result = parse([...header({ qd: 0 }, (opcode << 3) | 1), 0xff]);
      assert.equal(result.kind, "notimp");
      if (result.kind === "notimp") assert.equal(result.header.opcode, opcode);
    }
  });

  it("is FORMERR without a question when QDCOUNT is 0 or 2", () => {
    expectFormerr(parse([...header({ qd: 0 })]), false);
    const q = [...name("a"), ...TYPE_A, ...CLASS_IN];
    expectFormerr(parse([...header({ qd: 2 }), ...q, ...q]), false);
  });

  it("rejects a compression pointer loop", () => {
    // Name at 12: label "a", then a pointer to 12 again.
    const reason = expectFormerr(
      parse([...header(), 1, 0x61, 0xc0, 12, ...TYPE_A, ...CLASS_IN]),
      false,
    );
    assert.match(reason, /.+/);
    // A pointer that points at itself.
    expectFormerr(parse([...header(), 0xc0, 12, ...TYPE_A, ...CLASS_IN]), false);
    // Two pointers pointing at each other.
    expectFormerr(parse([...header(), 0xc0, 14, 0xc0, 12, ...TYPE_A, ...CLASS_IN]), false);
  });

  it("rejects a forward pointer beyond the packet", () => {
    const reason = expectFormerr(parse([...header(), 0xc0, 200, ...TYPE_A, ...CLASS_IN]), false);
    assert.match(reason, /beyond/);
    // Exactly one past the end.
    const bytes = [...header(), 0xc0, 0, ...TYPE_A, ...CLASS_IN];
    bytes[13] = bytes.length;
    expectFormerr(parse(bytes), false);
  });

  it("follows a forward pointer that stays inside the packet; questionBytes is uncompressed", () => {
    // Question "www" + pointer to offset 22 (after type/class), where "Example.com" sits as
    // trailing bytes.
    const bytes = [...header(), 3, 0x77, 0x77, 0x57, 0xc0, 22, 0, 16, 0, 1, ...name("Example.com")];
    assert.equal(bytes.indexOf(7, 20), 22);
    const result = parse(bytes);
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.equal(result.question.name, "wwW.Example.com");
    assert.equal(result.question.nameLower, "www.example.com");
    assert.equal(result.question.type, RRType.TXT);
    assert.deepEqual(Array.from(result.questionBytes), [
      3,
      0x77,
      0x77,
      0x57,
      ...name("Example.com"),
      0,
      16,
      0,
      1,
    ]);
  });

  it("follows a backward pointer into earlier bytes", () => {
    // Pointer to offset 4 of the header: bytes [0,1,0,0,0,0,0,0] → QDCOUNT high byte 0 is the
    // root label, so the name is "a" + root.
    const result = parse([...header(), 1, 0x61, 0xc0, 4, ...TYPE_A, ...CLASS_IN]);
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.equal(result.question.name, "a");
    assert.deepEqual(Array.from(result.questionBytes), [1, 0x61, 0, 0, 1, 0, 1]);
  });

  it("rejects a 64-byte label (label type 0x40) and the 0x80 label type", () => {
    const label64 = [64, ...new Array<number>(64).fill(0x61), 0];
    expectFormerr(parse([...header(), ...label64, ...TYPE_A, ...CLASS_IN]), false);
    expectFormerr(parse([...header(), 0x80, 0x61, 0, ...TYPE_A, ...CLASS_IN]), false);
  });

  it("accepts a 63-byte label", () => {
    const label63 = "b".repeat(63);
    const result = parse([...header(), ...name(label63), ...TYPE_A, ...CLASS_IN]);
    assert.equal(result.kind, "query");
    if (result.kind === "query") assert.equal(result.question.name, label63);
  });

  it("accepts a 255-byte name and rejects a 256-byte one", () => {
    // 4 labels of 63 (4 * 64 = 256 bytes) + root is 257; 3 of 63 + one of 61 + root = 255.
    const ok = [63, 63, 63, 61].map((n) => "x".repeat(n)).join(".");
    assert.equal(name(ok).length, 255);
    assert.equal(parse([...header(), ...name(ok), ...TYPE_A, ...CLASS_IN]).kind, "query");
    const long = [63, 63, 63, 62].map((n) => "x".repeat(n)).join(".");
    assert.equal(name(long).length, 256);
    const reason = expectFormerr(
      parse([...header(), ...name(long), ...TYPE_A, ...CLASS_IN]),
      false,
    );
    assert.match(reason, /255/);
  });

  it("rejects a name made too long through a pointer", () => {
    // 192 bytes of labels, then a pointer to a 64-byte name elsewhere: 256 bytes in all.
    const head = [...name("y".repeat(63) + "." + "y".repeat(63) + "." + "y".repeat(63))].slice(
      0,
      -1,
    );
    const bytes = [...header(), ...head, 0xc0, 0, ...TYPE_A, ...CLASS_IN];
    const target = bytes.length;
    bytes[12 + head.length + 1] = target;
    bytes.push(...name("z".repeat(62)));
    expectFormerr(parse(bytes), false);
    // One byte shorter fits.
    bytes.splice(target, 64, ...name("z".repeat(61)));
    assert.equal(parse(bytes).kind, "query");
  });

  it("rejects truncated names, types and classes", () => {
    const full = [...header(), ...name("abc.def"), ...TYPE_A, ...CLASS_IN];
    // Every cut inside the question is FORMERR without a question.
    for (let length = 12; length < full.length; length++) {
      const result = parse(full.slice(0, length));
      expectFormerr(result, false);
    }
    assert.equal(parse(full).kind, "query");
    // A pointer cut after its first byte.
    expectFormerr(parse([...header(), 1, 0x61, 0xc0]), false);
  });

  it("keeps the case as sent and folds only ASCII A-Z", () => {
    const bytes = [...header(), ...name("MiXeD.CaSe.Z"), ...TYPE_A, ...CLASS_IN];
    const result = parse(bytes);
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.equal(result.question.name, "MiXeD.CaSe.Z");
    assert.equal(result.question.nameLower, "mixed.case.z");
  });

  it("escapes dots, backslashes, spaces and non-printable bytes as \\DDD", () => {
    const label = [0x61, 0x2e, 0x5c, 0x20, 0x00, 0x7f, 0xc3, 0x41, 0x21, 0x7e];
    const bytes = [...header(), label.length, ...label, ...name("Z"), ...TYPE_A, ...CLASS_IN];
    const result = parse(bytes);
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.equal(result.question.name, "a\\046\\092\\032\\000\\127\\195A!~.Z");
    assert.equal(result.question.nameLower, "a\\046\\092\\032\\000\\127\\195a!~.z");
  });

  it("names the root as the empty string", () => {
    const result = parse([...header(), 0, 0, 2, 0, 1]);
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.equal(result.question.name, "");
    assert.equal(result.question.nameLower, "");
    assert.equal(result.question.type, RRType.NS);
  });

  it("reads EDNS: payload size, extended rcode, version, flags, DO, options", () => {
    const options = [0, 3, 0, 0, 0, 10, 0, 2, 0xab, 0xcd];
    const bytes = [
      ...header({ ar: 1 }),
      ...name("a.b"),
      ...TYPE_A,
      ...CLASS_IN,
      ...opt(4096, 1, 0x8001, options),
    ];
    bytes[bytes.length - options.length - 6] = 7; // extended rcode byte
    const result = parse(bytes);
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.ok(result.edns);
    assert.equal(result.edns.udpPayloadSize, 4096);
    assert.equal(result.edns.extendedRcode, 7);
    assert.equal(result.edns.version, 1);
    assert.equal(result.edns.flags, 0x8001);
    assert.equal(result.edns.dnssecOk, true);
    assert.deepEqual(
      result.edns.options.map((o) => ({ code: o.code, data: Array.from(o.data) })),
      [
        { code: 3, data: [] },
        { code: 10, data: [0xab, 0xcd] },
      ],
    );
  });

  it("reads EDNS with DO clear", () => {
    const result = parseQuery(
      encodeQuery({ id: 1, name: "x", type: RRType.A, edns: { udpPayloadSize: 1232 } }),
    );
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.deepEqual(result.edns, {
      udpPayloadSize: 1232,
      extendedRcode: 0,
      version: 0,
      dnssecOk: false,
      flags: 0,
      options: [],
    });
  });

  it("is FORMERR with the question for two OPT records", () => {
    const q = [...name("a"), ...TYPE_A, ...CLASS_IN];
    const reason = expectFormerr(
      parse([...header({ ar: 2 }), ...q, ...opt(1232), ...opt(512)]),
      true,
    );
    assert.match(reason, /OPT/);
  });

  it("is FORMERR with the question for an OPT with a non-root owner", () => {
    const q = [...name("a"), ...TYPE_A, ...CLASS_IN];
    expectFormerr(parse([...header({ ar: 1 }), ...q, ...opt(1232, 0, 0, [], name("a"))]), true);
    // A pointer to a root byte is still not the literal root name RFC 6891 asks for.
    expectFormerr(parse([...header({ ar: 1 }), ...q, ...opt(1232, 0, 0, [], [0xc0, 14])]), true);
  });

  it("is FORMERR with the question for a truncated option list", () => {
    const q = [...name("a"), ...TYPE_A, ...CLASS_IN];
    // Option header cut short (3 bytes).
    expectFormerr(parse([...header({ ar: 1 }), ...q, ...opt(1232, 0, 0, [0, 10, 0])]), true);
    // Option length promising more than the rdata holds.
    expectFormerr(
      parse([...header({ ar: 1 }), ...q, ...opt(1232, 0, 0, [0, 10, 0, 8, 1, 2])]),
      true,
    );
  });

  it("is FORMERR with the question when the OPT rdata runs past the packet", () => {
    const q = [...name("a"), ...TYPE_A, ...CLASS_IN];
    const bytes = [...header({ ar: 1 }), ...q, ...opt(1232, 0, 0, [0, 10, 0, 0])];
    expectFormerr(parse(bytes.slice(0, -1)), true);
  });

  it("is FORMERR with the question when ANCOUNT/NSCOUNT/ARCOUNT promise more records", () => {
    const q = [...name("a"), ...TYPE_A, ...CLASS_IN];
    const answer = [0xc0, 12, ...TYPE_A, ...CLASS_IN, 0, 0, 0, 5, 0, 4, 127, 0, 0, 1];
    const an = expectFormerr(parse([...header({ an: 2 }), ...q, ...answer]), true);
    assert.match(an, /.+/);
    expectFormerr(parse([...header({ ns: 1 }), ...q]), true);
    expectFormerr(parse([...header({ ar: 1 }), ...q]), true);
    expectFormerr(parse([...header({ an: 0xffff, ns: 0xffff, ar: 0xffff }), ...q]), true);
    // A record whose rdata runs past the end.
    expectFormerr(parse([...header({ an: 1 }), ...q, ...answer.slice(0, -1)]), true);
    // A record with a reserved label type in its owner name.
    expectFormerr(parse([...header({ an: 1 }), ...q, 0x40, ...answer.slice(2)]), true);
    // The FORMERR question is the raw question bytes.
    const result = parse([...header({ ns: 1 }), ...q]);
    if (result.kind === "formerr") assert.deepEqual(Array.from(result.question ?? []), q);
  });

  it("skips answer/authority records and non-OPT additional records (TSIG)", () => {
    const q = [...name("a"), ...TYPE_A, ...CLASS_IN];
    const answer = [0xc0, 12, ...TYPE_A, ...CLASS_IN, 0, 0, 0, 5, 0, 4, 127, 0, 0, 1];
    const tsig = [...name("key"), 0, 250, 0, 255, 0, 0, 0, 0, 0, 3, 1, 2, 3];
    const bytes = [
      ...header({ an: 1, ns: 1, ar: 3 }),
      ...q,
      ...answer,
      ...answer,
      ...tsig,
      ...opt(1400, 0, 0x8000),
      ...tsig,
    ];
    const result = parse(bytes);
    assert.equal(result.kind, "query");
    if (result.kind !== "query") return;
    assert.equal(result.edns?.udpPayloadSize, 1400);
    assert.equal(result.edns?.dnssecOk, true);
  });

  it("ignores trailing bytes after the counted records", () => {
    const q = [...name("a"), ...TYPE_A, ...CLASS_IN];
    const result = parse([...header(), ...q, 0xde, 0xad, 0xc0]);
    assert.equal(result.kind, "query");
    if (result.kind === "query") assert.deepEqual(Array.from(result.questionBytes), q);
  });

  it("keeps the header of FORMERR and NOTIMP results for the reply", () => {
    const result = parse([...header({ qd: 0 }, 0x01, 0x10, 0xabcd)]);
    assert.equal(result.kind, "formerr");
    if (result.kind !== "formerr") return;
    assert.equal(result.header.id, 0xabcd);
    assert.equal(result.header.rd, true);
    assert.equal(result.header.cd, true);
  });
});
