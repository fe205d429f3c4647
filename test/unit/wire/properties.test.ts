import assert from "node:assert/strict";
import dns2 from "dns2";
import fc from "fast-check";
import { parseQuery, type ParsedQuery } from "../../../src/wire/decode.js";
import { encodeReply, type ReplyMessage } from "../../../src/wire/encode.js";
import { canonicalIPv6 } from "../../../src/wire/ip.js";
import { decodeMessage, encodeQuery, type DecodedRecord } from "../../../src/wire/message.js";
import { nameToWire } from "../../../src/wire/name.js";
import {
  RRClass,
  RRType,
  type EdnsOptionData,
  type ResourceRecord,
} from "../../../src/wire/types.js";

const { Packet } = dns2;

const KINDS = new Set(["drop", "notimp", "formerr", "query"]);

/** parseQuery must return a well-formed result; when it accepts, its question must be coherent. */
function checkParsed(packet: Uint8Array, result: ParsedQuery): void {
  assert.ok(KINDS.has(result.kind));
  if (result.kind !== "query") return;
  const { question, questionBytes } = result;
  // The escaped text names exactly the labels in questionBytes.
  const wire = nameToWire(question.name);
  assert.ok(wire, `unparsable name text ${question.name}`);
  assert.deepEqual(Array.from(questionBytes.subarray(0, wire.length)), Array.from(wire));
  assert.equal(questionBytes.length, wire.length + 4);
  assert.equal(question.type, (questionBytes[wire.length]! << 8) | questionBytes[wire.length + 1]!);
  assert.equal(question.nameLower, question.name.toLowerCase());
  assert.ok(packet.length >= 12 + 5);
}

/** Reference escaping, written independently of name.ts. */
function labelText(label: Uint8Array): string {
  let text = "";
  for (const byte of label) {
    if (byte > 0x20 && byte < 0x7f && byte !== 0x2e && byte !== 0x5c)
      text += String.fromCharCode(byte);
    else text += "\\" + String(byte).padStart(3, "0");
  }
  return text;
}

function wireLength(labels: readonly Uint8Array[]): number {
  return labels.reduce((sum, label) => sum + 1 + label.length, 1);
}

const arbitraryLabels = fc
  .oneof(
    fc.array(fc.uint8Array({ minLength: 1, maxLength: 63 }), { maxLength: 4 }),
    fc.array(fc.uint8Array({ minLength: 1, maxLength: 3 }), { maxLength: 70 }),
  )
  .filter((labels) => wireLength(labels) <= 255);

const hostLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
/** Lower-case zone-like names from a small pool, so that names share suffixes. */
const zoneName = fc
  .array(fc.constantFrom("a", "b", "web", "ns1", "svc", "clusterset", "local", "_http", "_tcp"), {
    minLength: 1,
    maxLength: 5,
  })
  .chain((labels) =>
    fc
      .option(hostLabel, { nil: undefined })
      .map((extra) => [extra, ...labels].filter((l) => l !== undefined).join(".")),
  );

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const ttl = fc.integer({ min: 0, max: 0x7fffffff });

const recordArb: fc.Arbitrary<ResourceRecord> = fc.oneof(
  fc.record({
    name: zoneName,
    ttl,
    class: fc.constant(RRClass.IN),
    data: fc.record({ type: fc.constant(RRType.A), address: fc.ipV4() }),
  }),
  fc.record({
    name: zoneName,
    ttl,
    class: fc.constant(RRClass.IN),
    data: fc.record({
      type: fc.constant(RRType.AAAA),
      address: fc.ipV6().map((text) => canonicalIPv6(text) ?? "::"),
    }),
  }),
  fc.record({
    name: zoneName,
    ttl,
    class: fc.constant(RRClass.IN),
    data: fc.record({ type: fc.constant(RRType.NS), host: zoneName }),
  }),
  fc.record({
    name: zoneName,
    ttl,
    class: fc.constant(RRClass.IN),
    data: fc.record({
      type: fc.constant(RRType.SOA),
      mname: zoneName,
      rname: zoneName,
      serial: u32,
      refresh: u32,
      retry: u32,
      expire: u32,
      minimum: u32,
    }),
  }),
  fc.record({
    name: zoneName,
    ttl,
    class: fc.constantFrom(RRClass.IN, RRClass.CH),
    data: fc.record({
      type: fc.constant(RRType.TXT),
      strings: fc.array(
        fc.oneof(fc.string({ maxLength: 255 }), fc.string({ unit: "binary", maxLength: 60 })),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  }),
  fc.record({
    name: zoneName,
    ttl,
    class: fc.constant(RRClass.IN),
    data: fc.record({
      type: fc.constant(RRType.SRV),
      priority: u16,
      weight: u16,
      port: u16,
      target: zoneName,
    }),
  }),
);

/** Same letters, random case: the question as a client might send it. */
function randomCase(name: string, seed: number): string {
  return Array.from(name, (c, i) => ((seed >> (i % 30)) & 1 ? c.toUpperCase() : c)).join("");
}

const replyArb = fc
  .record({
    id: u16,
    rd: fc.boolean(),
    cd: fc.boolean(),
    aa: fc.boolean(),
    rcode: fc.integer({ min: 0, max: 5 }),
    questionName: fc.option(zoneName, { nil: undefined }),
    caseSeed: fc.nat(),
    answer: fc.array(recordArb, { maxLength: 12 }),
    authority: fc.array(recordArb, { maxLength: 4 }),
    additional: fc.array(recordArb, { maxLength: 8 }),
    edns: fc.option(fc.record({ udpPayloadSize: u16, dnssecOk: fc.boolean() }), { nil: undefined }),
    maxSize: fc.integer({ min: 512, max: 1500 }),
  })
  .map((r) => {
    const questionName =
      r.questionName === undefined ? undefined : randomCase(r.questionName, r.caseSeed);
    // Let some answers own the question's name (the usual case in real replies).
    const answer = r.answer.map((record, i) =>
      r.questionName !== undefined && i % 2 === 0 ? { ...record, name: r.questionName } : record,
    );
    return { ...r, questionName, answer };
  });

type ReplyCase = typeof replyArb extends fc.Arbitrary<infer T> ? T : never;

function message(r: ReplyCase, maxSize: number): ReplyMessage {
  let question: ReplyMessage["question"];
  if (r.questionName !== undefined) {
    const parsed = parseQuery(encodeQuery({ id: r.id, name: r.questionName, type: RRType.ANY }));
    if (parsed.kind !== "query") throw new Error("generated question did not parse");
    question = { bytes: parsed.questionBytes, nameLower: parsed.question.nameLower };
  }
  return {
    id: r.id,
    opcode: 0,
    aa: r.aa,
    rd: r.rd,
    cd: r.cd,
    rcode: r.rcode,
    question,
    answer: r.answer,
    authority: r.authority,
    additional: r.additional,
    edns: r.edns === undefined ? undefined : { ...r.edns, options: [] },
    maxSize,
  };
}

/** What decodeMessage should give back for `records`; answer owners equal to the question take its case. */
function expected(
  records: readonly ResourceRecord[],
  questionName: string | undefined,
): DecodedRecord[] {
  return records.map((record) => ({
    name:
      questionName !== undefined && record.name === questionName.toLowerCase()
        ? questionName
        : record.name,
    class: record.class,
    ttl: record.ttl,
    // Spread: fast-check may build null-prototype objects, which deepEqual tells apart.
    data:
      record.data.type === RRType.TXT
        ? { type: RRType.TXT, strings: record.data.strings.map(utf8RoundTrip) }
        : { ...record.data },
  }));
}

describe("wire properties", function () {
  this.timeout(120_000);

  it("parseQuery never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        checkParsed(bytes, parseQuery(bytes));
      }),
      { numRuns: 20_000 },
    );
  });

  it("parseQuery never throws on arbitrary bytes behind a plausible query header", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.uint8Array({ maxLength: 600 }),
        (ancount, arcount, body) => {
          const packet = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, ancount, 0, 0, 0, arcount, ...body]);
          checkParsed(packet, parseQuery(packet));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  const validQuery = fc
    .record({
      id: u16,
      labels: arbitraryLabels,
      type: u16,
      class: u16,
      rd: fc.boolean(),
      edns: fc.option(
        fc.record({
          udpPayloadSize: u16,
          dnssecOk: fc.boolean(),
          version: fc.integer({ min: 0, max: 255 }),
          flags: fc.integer({ min: 0, max: 0x7fff }),
          options: fc.array(fc.record({ code: u16, data: fc.uint8Array({ maxLength: 20 }) }), {
            maxLength: 3,
          }),
        }),
        { nil: undefined },
      ),
    })
    .map((q) => ({ ...q, name: q.labels.map(labelText).join(".") }));

  it("parseQuery never throws on mutated valid queries (bit flips, truncation)", () => {
    fc.assert(
      fc.property(
        validQuery,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (q, flips, cut) => {
          const packet = encodeQuery(q);
          for (const [index, bit] of flips) packet[index % packet.length]! ^= 1 << bit;
          const mutated =
            cut === undefined ? packet : packet.subarray(0, cut % (packet.length + 1));
          checkParsed(mutated, parseQuery(mutated));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it("encodeQuery → parseQuery round-trips name, type, class and EDNS", () => {
    fc.assert(
      fc.property(validQuery, (q) => {
        const result = parseQuery(encodeQuery(q));
        assert.equal(result.kind, "query");
        if (result.kind !== "query") return;
        assert.equal(result.header.id, q.id);
        assert.equal(result.header.rd, q.rd);
        assert.equal(result.question.name, q.name);
        assert.equal(
          result.question.nameLower,
          q.name.replace(/[A-Z]/g, (c) => c.toLowerCase()),
        );
        assert.equal(result.question.type, q.type);
        assert.equal(result.question.class, q.class);
        const wire = Uint8Array.from(
          q.labels.flatMap((label) => [label.length, ...label]).concat(0),
        );
        assert.deepEqual(Array.from(result.questionBytes), [
          ...wire,
          q.type >> 8,
          q.type & 0xff,
          q.class >> 8,
          q.class & 0xff,
        ]);
        if (q.edns === undefined) {
          assert.equal(result.edns, undefined);
          return;
        }
        const flags = q.edns.flags | (q.edns.dnssecOk ? 0x8000 : 0);
        assert.deepEqual(
          result.edns && { ...result.edns, options: result.edns.options.map(plainOption) },
          {
            udpPayloadSize: q.edns.udpPayloadSize,
            extendedRcode: 0,
            version: q.edns.version,
            dnssecOk: q.edns.dnssecOk,
            flags,
            options: q.edns.options.map(plainOption),
          },
        );
      }),
      { numRuns: 5_000 },
    );
  });

  it("encodeReply → decodeMessage round-trips record lists that fit", () => {
    fc.assert(
      fc.property(replyArb, (r) => {
        const out = encodeReply(message(r, 65535));
        const decoded = decodeMessage(out);
        assert.equal(decoded.header.tc, false);
        assert.equal(decoded.header.id, r.id);
        assert.equal(decoded.header.qr, true);
        assert.equal(decoded.header.aa, r.aa);
        assert.equal(decoded.header.rd, r.rd);
        assert.equal(decoded.header.cd, r.cd);
        assert.equal(decoded.header.rcode, r.rcode);
        assert.equal(decoded.questions[0]?.name, r.questionName);
        assert.deepEqual(decoded.answer, expected(r.answer, r.questionName));
        assert.deepEqual(decoded.authority, expected(r.authority, undefined));
        const additional =
          r.edns === undefined ? decoded.additional : decoded.additional.slice(0, -1);
        assert.deepEqual(additional, expected(r.additional, undefined));
        if (r.edns !== undefined) {
          assert.deepEqual(decoded.additional.at(-1)?.data, {
            type: RRType.OPT,
            udpPayloadSize: r.edns.udpPayloadSize,
            extendedRcode: 0,
            version: 0,
            flags: r.edns.dnssecOk ? 0x8000 : 0,
            options: [],
          });
        }
        // An independent decoder sees the same message.
        const other = Packet.parse(Buffer.from(out));
        assert.deepEqual(other.errors, []);
        assert.equal(other.answers.length, r.answer.length);
        assert.deepEqual(
          other.answers.map((rr: { name: string }) => rr.name),
          decoded.answer.map((rr) => rr.name),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it("encodeReply within a budget: ≤ maxSize, whole-record prefixes, TC only when answers are cut", () => {
    fc.assert(
      fc.property(replyArb, (r) => {
        const full = encodeReply(message(r, 65535));
        const out = encodeReply(message(r, r.maxSize));
        assert.ok(out.length <= r.maxSize, `${out.length} > ${r.maxSize}`);
        const decoded = decodeMessage(out);
        const optCount = r.edns === undefined ? 0 : 1;
        const answers = expected(r.answer, r.questionName);
        const authority = expected(r.authority, undefined);
        if (full.length <= r.maxSize) {
          assert.deepEqual(Array.from(out), Array.from(full));
          return;
        }
        assert.deepEqual(decoded.answer, answers.slice(0, decoded.answer.length));
        assert.deepEqual(decoded.authority, authority.slice(0, decoded.authority.length));
        if (decoded.header.tc) {
          // Something in answer/authority was cut, and then nothing after it was written.
          assert.ok(
            decoded.answer.length + decoded.authority.length < answers.length + authority.length,
          );
          if (decoded.authority.length > 0) assert.equal(decoded.answer.length, answers.length);
          assert.equal(decoded.additional.length, optCount);
        } else {
          // Only the additional section was left out, whole.
          assert.equal(decoded.answer.length, answers.length);
          assert.equal(decoded.authority.length, authority.length);
          assert.equal(decoded.additional.length, optCount);
        }
        if (r.edns !== undefined) assert.equal(decoded.additional.at(-1)?.data.type, RRType.OPT);
      }),
      { numRuns: 3_000 },
    );
  });
});

function utf8RoundTrip(text: string): string {
  return new TextDecoder().decode(new TextEncoder().encode(text));
}

function plainOption(option: EdnsOptionData): { code: number; data: number[] } {
  return { code: option.code, data: Array.from(option.data) };
}
