import assert from "node:assert/strict";
import dns2 from "dns2";
import { parseQuery } from "../../../src/wire/decode.js";
import { encodeReply, type ReplyMessage } from "../../../src/wire/encode.js";
import { decodeMessage, encodeQuery } from "../../../src/wire/message.js";
import { RRClass, RRType, Rcode, type ResourceRecord } from "../../../src/wire/types.js";

const { Packet } = dns2;

const ZONE = "clusterset.local";
const SOA: ResourceRecord = {
  name: ZONE,
  ttl: 5,
  class: RRClass.IN,
  data: {
    type: RRType.SOA,
    mname: `ns.dns.${ZONE}`,
    rname: `hostmaster.${ZONE}`,
    serial: 42,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: 5,
  },
};

function a(name: string, address: string, ttl = 5): ResourceRecord {
  return { name, ttl, class: RRClass.IN, data: { type: RRType.A, address } };
}

function aaaa(name: string, address: string): ResourceRecord {
  return { name, ttl: 5, class: RRClass.IN, data: { type: RRType.AAAA, address } };
}

function srv(name: string, port: number, target: string): ResourceRecord {
  return {
    name,
    ttl: 5,
    class: RRClass.IN,
    data: { type: RRType.SRV, priority: 0, weight: 100, port, target },
  };
}

/** The question section of a query for `name`, as parseQuery hands it to the server. */
function question(name: string, type: number): { bytes: Uint8Array; nameLower: string } {
  const parsed = parseQuery(encodeQuery({ id: 1, name, type }));
  if (parsed.kind !== "query") throw new Error(`test query did not parse: ${parsed.kind}`);
  return { bytes: parsed.questionBytes.slice(), nameLower: parsed.question.nameLower };
}

function reply(overrides: Partial<ReplyMessage>): ReplyMessage {
  return {
    id: 0x4242,
    opcode: 0,
    aa: true,
    rd: false,
    cd: false,
    rcode: Rcode.NOERROR,
    question: undefined,
    answer: [],
    authority: [],
    additional: [],
    edns: undefined,
    maxSize: 65535,
    ...overrides,
  };
}

/** Offsets of every occurrence of `needle` in `haystack`. */
function occurrences(haystack: Uint8Array, needle: number[]): number[] {
  const found: number[] = [];
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((b, j) => haystack[i + j] === b)) found.push(i);
  }
  return found;
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

describe("wire/encode encodeReply", () => {
  it("writes the header: QR=1, opcode, AA, RD, CD echoed; RA, AD, Z clear; counts", () => {
    const q = question("s.n.svc.clusterset.local", RRType.A);
    const out = encodeReply(
      reply({
        id: 0xbeef,
        opcode: 0,
        aa: true,
        rd: true,
        cd: true,
        rcode: Rcode.NXDOMAIN,
        question: q,
        authority: [SOA],
      }),
    );
    assert.deepEqual(
      Array.from(out.subarray(0, 12)),
      [0xbe, 0xef, 0x85, 0x13, 0, 1, 0, 0, 0, 1, 0, 0],
    );
    const decoded = decodeMessage(out);
    assert.equal(decoded.header.qr, true);
    assert.equal(decoded.header.ra, false);
    assert.equal(decoded.header.ad, false);
    assert.equal(decoded.header.z, false);
    assert.equal(decoded.header.tc, false);
    assert.deepEqual(decoded.authority, [SOA]);
  });

  it("echoes opcode with everything else clear for NOTIMP and omits the question when absent", () => {
    const out = encodeReply(
      reply({ id: 9, opcode: 2, aa: false, rd: false, cd: false, rcode: Rcode.NOTIMP }),
    );
    assert.deepEqual(Array.from(out), [0, 9, 0x90, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("echoes the question bytes verbatim at offset 12", () => {
    const q = question("MiXeD.clusterset.LOCAL", RRType.TXT);
    const out = encodeReply(reply({ question: q, rcode: Rcode.REFUSED, aa: false }));
    assert.deepEqual(Array.from(out.subarray(12)), Array.from(q.bytes));
    assert.equal(decodeMessage(out).questions[0]?.name, "MiXeD.clusterset.LOCAL");
  });

  it("points owners equal to the question at offset 12 (0xC00C), taking its case", () => {
    const q = question("WEB.NS1.svc.ClusterSet.local", RRType.A);
    const out = encodeReply(
      reply({
        question: q,
        answer: [
          a("web.ns1.svc.clusterset.local", "10.0.0.1"),
          a("web.ns1.svc.clusterset.local", "10.0.0.2"),
        ],
      }),
    );
    const afterQuestion = 12 + q.bytes.length;
    assert.deepEqual(Array.from(out.subarray(afterQuestion, afterQuestion + 2)), [0xc0, 0x0c]);
    assert.equal(occurrences(out, [0xc0, 0x0c]).length, 2);
    // Header + question + 2 * (pointer + 10 + 4).
    assert.equal(out.length, afterQuestion + 2 * 16);
    const decoded = decodeMessage(out);
    assert.deepEqual(
      decoded.answer.map((r) => r.name),
      ["WEB.NS1.svc.ClusterSet.local", "WEB.NS1.svc.ClusterSet.local"],
    );
  });

  it("writes the SOA owner in lower case even when the question was upper case", () => {
    const q = question("CLUSTERSET.LOCAL", RRType.A);
    const out = encodeReply(reply({ question: q, authority: [SOA] }));
    // The question's suffixes are not compression targets: the zone name is written in full,
    // lower case, right after the question, and mname/rname point at it.
    const afterQuestion = 12 + q.bytes.length;
    assert.deepEqual(Array.from(out.subarray(afterQuestion, afterQuestion + 18)), [
      10,
      ...ascii("clusterset"),
      5,
      ...ascii("local"),
      0,
    ]);
    assert.equal(occurrences(out, ascii("clusterset")).length, 1);
    assert.equal(occurrences(out, ascii("CLUSTERSET")).length, 1);
    const decoded = decodeMessage(out);
    assert.equal(decoded.authority[0]?.name, "clusterset.local");
    assert.deepEqual(decoded.authority[0]?.data, SOA.data);
  });

  it("compresses NS and SOA rdata names against earlier names", () => {
    const q = question("clusterset.local", RRType.NS);
    const ns: ResourceRecord = {
      name: ZONE,
      ttl: 5,
      class: RRClass.IN,
      data: { type: RRType.NS, host: `ns.dns.${ZONE}` },
    };
    const out = encodeReply(reply({ question: q, answer: [ns], authority: [SOA] }));
    // "ns.dns" is spelled out once (in the NS answer); the SOA mname is a pointer to it.
    assert.equal(occurrences(out, [2, ...ascii("ns"), 3, ...ascii("dns")]).length, 1);
    assert.equal(occurrences(out, ascii("hostmaster")).length, 1);
    const decoded = decodeMessage(out);
    assert.deepEqual(decoded.answer, [ns]);
    assert.deepEqual(decoded.authority, [SOA]);
  });

  it("never compresses SRV targets", () => {
    const service = "web.ns1.svc.clusterset.local";
    const q = question(`_http._tcp.${service}`, RRType.SRV);
    const out = encodeReply(
      reply({
        question: q,
        answer: [
          srv(`_http._tcp.${service}`, 80, service),
          srv(`_http._tcp.${service}`, 8080, service),
        ],
        additional: [a(service, "10.0.0.1")],
      }),
    );
    // Each SRV rdata spells its whole target: 6 fixed bytes + the 30-byte name.
    const targetWire = [
      3,
      ...ascii("web"),
      3,
      ...ascii("ns1"),
      3,
      ...ascii("svc"),
      10,
      ...ascii("clusterset"),
      5,
      ...ascii("local"),
      0,
    ];
    // Once inside the question ("_http._tcp." + service), then once in each SRV rdata.
    assert.equal(occurrences(out, targetWire).length, 3);
    const decoded = decodeMessage(out);
    for (const record of decoded.answer) {
      assert.equal(record.data.type, RRType.SRV);
    }
    assert.deepEqual(
      decoded.answer.map((r) => r.data),
      [
        { type: RRType.SRV, priority: 0, weight: 100, port: 80, target: service },
        { type: RRType.SRV, priority: 0, weight: 100, port: 8080, target: service },
      ],
    );
    assert.deepEqual(decoded.additional, [a(service, "10.0.0.1")]);
    // The additional A owner may point at an (uncompressed) SRV target: 2 + 10 + 4 bytes.
    assert.equal(out[out.length - 16]! & 0xc0, 0xc0);
  });

  it("encodes A, AAAA, TXT (split at 255 bytes) and CH-class records", () => {
    const long = "x".repeat(600);
    const records: ResourceRecord[] = [
      a("h.clusterset.local", "192.0.2.1"),
      aaaa("h.clusterset.local", "fd00:10:244::5"),
      aaaa("h.clusterset.local", "::"),
      aaaa("h.clusterset.local", "2001:db8:1:2:3:4:5:6"),
      {
        name: "t.clusterset.local",
        ttl: 28800,
        class: RRClass.IN,
        data: { type: RRType.TXT, strings: ["1.0.0", "", long] },
      },
      {
        name: "id.server",
        ttl: 0,
        class: RRClass.CH,
        data: { type: RRType.TXT, strings: ["srv-1"] },
      },
    ];
    const out = encodeReply(reply({ answer: records }));
    const decoded = decodeMessage(out);
    assert.deepEqual(decoded.answer.slice(0, 4), records.slice(0, 4));
    assert.deepEqual(decoded.answer[4]?.data, {
      type: RRType.TXT,
      strings: ["1.0.0", "", "x".repeat(255), "x".repeat(255), "x".repeat(90)],
    });
    assert.equal(decoded.answer[5]?.class, RRClass.CH);
    assert.deepEqual(decoded.answer[5]?.data, { type: RRType.TXT, strings: ["srv-1"] });
  });

  it("leaves out a record that cannot be encoded instead of writing it wrong", () => {
    const out = encodeReply(
      reply({
        answer: [
          a("x.clusterset.local", "10.0.0.1"),
          a("x.clusterset.local", "not-an-ip"),
          a("y".repeat(64), "10.0.0.2"),
        ],
      }),
    );
    const decoded = decodeMessage(out);
    assert.equal(decoded.header.ancount, 1);
    assert.deepEqual(decoded.answer, [a("x.clusterset.local", "10.0.0.1")]);
  });

  it("truncates 300 A records at 512 bytes: whole records, TC=1, counts right, OPT kept", () => {
    const name = "big.ns.svc.clusterset.local";
    const q = question(name, RRType.A);
    const answers = Array.from({ length: 300 }, (_, i) => a(name, `10.0.${i >> 8}.${i & 0xff}`));
    const out = encodeReply(
      reply({
        question: q,
        answer: answers,
        additional: [a("other.clusterset.local", "10.9.9.9")],
        edns: { udpPayloadSize: 1232, dnssecOk: true, options: [] },
        maxSize: 512,
      }),
    );
    assert.ok(out.length <= 512, `length ${out.length}`);
    const decoded = decodeMessage(out);
    assert.equal(decoded.header.tc, true);
    // 512 - 12 header - 33 question - 11 OPT = 456 bytes for 16-byte records: 28 of them.
    assert.equal(q.bytes.length, 33);
    assert.equal(decoded.header.ancount, 28);
    assert.equal(out.length, 12 + 33 + 28 * 16 + 11);
    assert.deepEqual(
      decoded.answer.map((r) => r.data),
      answers.slice(0, 28).map((r) => r.data),
    );
    assert.equal(decoded.header.nscount, 0);
    assert.equal(decoded.header.arcount, 1);
    assert.deepEqual(decoded.additional[0]?.data, {
      type: RRType.OPT,
      udpPayloadSize: 1232,
      extendedRcode: 0,
      version: 0,
      flags: 0x8000,
      options: [],
    });

    // dns2 agrees on the records and the flags.
    const other = Packet.parse(Buffer.from(out));
    assert.equal(other.errors.length, 0);
    assert.equal(other.header.tc, 1);
    assert.equal(other.answers.length, 28);
    assert.equal(other.answers[27]?.address, "10.0.0.27");
    assert.equal(other.answers[0]?.name, name);
  });

  it("truncates in the authority section after a complete answer, with TC", () => {
    const q = question("x.clusterset.local", RRType.A);
    const answers = Array.from({ length: 20 }, (_, i) => a("x.clusterset.local", `10.1.0.${i}`));
    const authority = Array.from({ length: 20 }, (_, i) =>
      a(`a${i}.clusterset.local`, `10.2.0.${i}`),
    );
    const out = encodeReply(reply({ question: q, answer: answers, authority, maxSize: 512 }));
    const decoded = decodeMessage(out);
    assert.equal(decoded.header.tc, true);
    assert.equal(decoded.header.ancount, 20);
    assert.ok(decoded.header.nscount > 0 && decoded.header.nscount < 20);
    assert.deepEqual(decoded.authority, authority.slice(0, decoded.header.nscount));
    assert.equal(decoded.header.arcount, 0);
  });

  it("drops the whole additional section without TC when only it does not fit", () => {
    const service = "web.ns1.svc.clusterset.local";
    const q = question(`_http._tcp.${service}`, RRType.SRV);
    // 6 SRV answers of 68 bytes fit in 512; their 16-byte additional A records do not.
    const targets = Array.from({ length: 6 }, (_, i) => `host-${i}.cluster-a.${service}`);
    const out = encodeReply(
      reply({
        question: q,
        answer: targets.map((t) => srv(`_http._tcp.${service}`, 80, t)),
        additional: targets.map((t, i) => a(t, `10.3.0.${i}`)),
        edns: { udpPayloadSize: 512, dnssecOk: false, options: [] },
        maxSize: 512,
      }),
    );
    const decoded = decodeMessage(out);
    assert.equal(decoded.header.tc, false);
    assert.equal(decoded.header.ancount, 6);
    assert.equal(decoded.header.arcount, 1);
    assert.equal(decoded.additional[0]?.data.type, RRType.OPT);
    // With room, the additional section is there.
    const roomy = decodeMessage(
      encodeReply(
        reply({
          question: q,
          answer: targets.map((t) => srv(`_http._tcp.${service}`, 80, t)),
          additional: targets.map((t, i) => a(t, `10.3.0.${i}`)),
          maxSize: 1232,
        }),
      ),
    );
    assert.equal(roomy.header.arcount, 6);
    assert.deepEqual(
      roomy.additional.map((r) => r.name),
      targets,
    );
  });

  it("splits extended rcode BADVERS (16) into header rcode 0 and OPT extended rcode 1", () => {
    const q = question("clusterset.local", RRType.SOA);
    const out = encodeReply(
      reply({
        question: q,
        aa: false,
        rcode: Rcode.BADVERS,
        edns: { udpPayloadSize: 1232, dnssecOk: true, options: [] },
      }),
    );
    const decoded = decodeMessage(out);
    assert.equal(decoded.header.rcode, 0);
    assert.deepEqual(decoded.additional[0]?.data, {
      type: RRType.OPT,
      udpPayloadSize: 1232,
      extendedRcode: 1,
      version: 0,
      flags: 0x8000,
      options: [],
    });
    // dns2 merges the two halves back into 16.
    const other = Packet.parse(Buffer.from(out));
    assert.equal(other.header.rcode, 16);
  });

  it("writes EDNS options after the records", () => {
    const out = encodeReply(
      reply({
        answer: [a("x.clusterset.local", "10.0.0.1")],
        edns: {
          udpPayloadSize: 4096,
          dnssecOk: false,
          options: [{ code: 3, data: Uint8Array.from(ascii("node-1")) }],
        },
      }),
    );
    const decoded = decodeMessage(out);
    const optData = decoded.additional[0]?.data;
    assert.ok(optData && "options" in optData);
    assert.deepEqual(
      optData.options.map((o) => ({ code: o.code, data: Buffer.from(o.data).toString() })),
      [{ code: 3, data: "node-1" }],
    );
    assert.deepEqual(Array.from(out.subarray(out.length - 10)), [0, 3, 0, 6, ...ascii("node-1")]);
  });

  it("returns a copy: later replies do not change an earlier one", () => {
    const first = encodeReply(reply({ answer: [a("x.clusterset.local", "10.0.0.1")] }));
    const snapshot = Array.from(first);
    encodeReply(reply({ answer: [a("y.clusterset.local", "10.0.0.2")] }));
    assert.deepEqual(Array.from(first), snapshot);
  });

  it("produces replies dns2 decodes to the same records", () => {
    const service = "web.ns1.svc.clusterset.local";
    const q = question(service, RRType.ANY);
    const out = encodeReply(
      reply({
        question: q,
        answer: [
          a(service, "10.0.0.1"),
          aaaa(service, "fd00::1"),
          srv(service, 443, `h1.c1.${service}`),
          {
            name: service,
            ttl: 7,
            class: RRClass.IN,
            data: { type: RRType.TXT, strings: ["a", "b c"] },
          },
        ],
        authority: [
          SOA,
          {
            name: ZONE,
            ttl: 5,
            class: RRClass.IN,
            data: { type: RRType.NS, host: `ns.dns.${ZONE}` },
          },
        ],
        additional: [a(`h1.c1.${service}`, "10.0.0.9")],
        edns: { udpPayloadSize: 1232, dnssecOk: false, options: [] },
      }),
    );
    const other = Packet.parse(Buffer.from(out));
    assert.deepEqual(other.errors, []);
    assert.equal(other.header.id, 0x4242);
    assert.equal(other.header.qr, 1);
    assert.equal(other.header.aa, 1);
    assert.equal(other.questions[0]?.name, service);
    const answers = other.answers.map((r) => ({
      name: r.name,
      type: r.type,
      ttl: r.ttl,
      address: r.address,
      port: r.port,
      target: r.target,
      data: r.data,
    }));
    assert.deepEqual(answers, [
      {
        name: service,
        type: 1,
        ttl: 5,
        address: "10.0.0.1",
        port: undefined,
        target: undefined,
        data: undefined,
      },
      {
        name: service,
        type: 28,
        ttl: 5,
        address: "fd00::1",
        port: undefined,
        target: undefined,
        data: undefined,
      },
      {
        name: service,
        type: 33,
        ttl: 5,
        address: undefined,
        port: 443,
        target: `h1.c1.${service}`,
        data: undefined,
      },
      {
        name: service,
        type: 16,
        ttl: 7,
        address: undefined,
        port: undefined,
        target: undefined,
        data: ["a", "b c"],
      },
    ]);
    const soa = other.authorities[0];
    assert.equal(soa?.name, ZONE);
    assert.equal(soa?.primary, `ns.dns.${ZONE}`);
    assert.equal(soa?.admin, `hostmaster.${ZONE}`);
    assert.equal(soa?.serial, 42);
    assert.equal(soa?.minimum, 5);
    assert.equal(other.authorities[1]?.ns, `ns.dns.${ZONE}`);
    assert.equal(other.additionals[0]?.name, `h1.c1.${service}`);
    assert.equal(other.additionals[0]?.address, "10.0.0.9");
    assert.equal(other.additionals[1]?.type, RRType.OPT);
    assert.equal(other.additionals[1]?.class, 1232);
  });
});
