// The ISC EDNS compliance probes (https://ednscomp.isc.org, the `genreport` tool; RFC 8906 §8
// spells out the same checks as dig commands) run against the real server over real sockets,
// at the zone apex (SOA, as genreport asks) and at a ClusterSetIP service name (A). Each probe
// is built byte by byte (test/support/raw-packet.ts) so every header and EDNS bit is exactly
// what genreport sends, and decoded with dns2 (independent of our codec) plus the raw header
// bits. The expected result of each probe is in its test name. Then genreport's TYPE probes at
// the apex, BIND's EDNS version negotiation, and a few RFC 1035/2308/8020 rows.

import assert from "node:assert/strict";
import { decode, tcpExchange, udpExchange, type Reply } from "../support/dns-client.js";
import { RCODE, ZONE } from "../support/expect.js";
import {
  header,
  opt,
  packet,
  question,
  replyHeader,
  type RawHeader,
} from "../support/raw-packet.js";
import { name, specObjects } from "../support/spec-fixture.js";
import { startTestServer, type TestServer } from "../support/server.js";

const TYPE = { A: 1, NS: 2, SOA: 6, TXT: 16, SRV: 33, DNSKEY: 48, TYPE666: 666 };
const SERVER_UDP_MAX = 1232;

/** EDNS option codes genreport sends (RFC 5001, 7871, 7314, 7873) and its unknown code 100. */
const OPTION = {
  NSID: { code: 3, data: [] as number[] },
  ECS: { code: 8, data: [0, 1, 0, 0] },
  EXPIRE: { code: 9, data: [] as number[] },
  COOKIE: { code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8] },
  UNKNOWN: { code: 100, data: [] as number[] },
};

interface Target {
  label: string;
  qname: string;
  qtype: number;
  /** Checks the positive answer to (qname, qtype). */
  answer(reply: Reply): void;
}

const TARGETS: Target[] = [
  {
    label: "zone apex SOA",
    qname: ZONE,
    qtype: TYPE.SOA,
    answer: (reply) => {
      assert.equal(reply.answers.length, 1, "one SOA in the answer");
      assert.equal(reply.answers[0]!.type, TYPE.SOA);
      assert.equal(reply.answers[0]!.name, ZONE);
      assert.equal(reply.answers[0]!.primary, `ns.dns.${ZONE}`);
    },
  },
  {
    label: "ClusterSetIP name A",
    qname: name("v4svc"),
    qtype: TYPE.A,
    answer: (reply) => {
      assert.deepEqual(
        reply.answers.map((r) => `${r.name} ${r.type} ${r.address}`),
        [`${name("v4svc")} 1 10.0.0.1`],
      );
    },
  },
];

interface Probe {
  /** genreport's test name. */
  id: string;
  /** What genreport (RFC 8906 §8) expects, as it reads in the test name. */
  expect: string;
  header?: RawHeader;
  /** Query type override (edns@512 and ednstcp ask DNSKEY). */
  qtype?: number;
  edns?: Parameters<typeof opt>[0];
  tcp?: boolean;
  check(result: Result, target: Target, probe: Probe): void;
}

interface Opt {
  payload: number;
  extendedRcode: number;
  version: number;
  flags: number;
  /** Each option as "code" or "code:data-as-text". */
  options: string[];
}

interface Result {
  raw: Buffer;
  reply: Reply;
  bits: ReturnType<typeof replyHeader>;
  opt: Opt | undefined;
}

/** Offset past the name at `pos` (labels or a pointer); written here so it shares nothing with src/. */
function skipWireName(raw: Buffer, pos: number): number {
  for (let hops = 0; hops < 256; hops++) {
    const length = raw[pos]!;
    if (length === 0) return pos + 1;
    if ((length & 0xc0) === 0xc0) return pos + 2;
    pos += 1 + length;
  }
  throw new Error("name too long");
}

/**
 * The reply's OPT record read straight from the bytes (dns2 does not decode EDNS options, so
 * an "option not echoed" check through it would pass vacuously).
 */
function optOf(raw: Buffer): Opt | undefined {
  let pos = 12;
  for (let i = raw.readUInt16BE(4); i > 0; i--) pos = skipWireName(raw, pos) + 4;
  const records = raw.readUInt16BE(6) + raw.readUInt16BE(8) + raw.readUInt16BE(10);
  const found: Opt[] = [];
  for (let i = 0; i < records; i++) {
    pos = skipWireName(raw, pos);
    const type = raw.readUInt16BE(pos);
    const rdataStart = pos + 10;
    const rdataEnd = rdataStart + raw.readUInt16BE(pos + 8);
    if (type === 41) {
      const options: string[] = [];
      for (let at = rdataStart; at < rdataEnd; at += 4 + raw.readUInt16BE(at + 2)) {
        const data = raw.subarray(at + 4, at + 4 + raw.readUInt16BE(at + 2));
        options.push(
          `${raw.readUInt16BE(at)}${data.length > 0 ? `:${data.toString("latin1")}` : ""}`,
        );
      }
      found.push({
        payload: raw.readUInt16BE(pos + 2),
        extendedRcode: raw[pos + 4]!,
        version: raw[pos + 5]!,
        flags: raw.readUInt16BE(pos + 6),
        options,
      });
    }
    pos = rdataEnd;
  }
  assert.equal(pos, raw.length, "records fill the message exactly");
  assert.ok(found.length <= 1, "at most one OPT");
  return found[0];
}

let nextId = 0x4000;

async function send(server: TestServer, bytes: Buffer, tcp: boolean): Promise<Result> {
  const raw = tcp ? await tcpExchange(server.port, bytes) : await udpExchange(server.port, bytes);
  assert.ok(raw, "no reply");
  const reply = decode(raw);
  return { raw, reply, bits: replyHeader(raw), opt: optOf(raw) };
}

function build(probe: Probe, target: Target, id: number): Buffer {
  const parts = [
    header({ id, ...probe.header, arcount: probe.edns === undefined ? 0 : 1 }),
    question(target.qname, probe.qtype ?? target.qtype),
  ];
  if (probe.edns !== undefined) parts.push(opt(probe.edns));
  return packet(...parts);
}

// ——— shared expectations (RFC 8906 §8.1 and §8.2) ———

/** Every reply: QR=1, the query's ID, RA=0, AD=0, Z=0 (no recursion, no signatures, MBZ). */
function common(result: Result, id: number): void {
  assert.equal(result.bits.qr, true, "QR");
  assert.equal(result.bits.id, id, "ID echoed");
  assert.equal(result.bits.ra, false, "RA");
  assert.equal(result.bits.ad, false, "AD");
  assert.equal(result.bits.z, false, "Z (MBZ)");
}

/** NOERROR with the target's answer, AA=1, TC=0, question echoed. */
function positive(result: Result, target: Target): void {
  assert.equal(result.reply.header.rcode, RCODE.NOERROR, "rcode NOERROR");
  assert.equal(result.bits.aa, true, "AA");
  assert.equal(result.bits.tc, false, "TC");
  assert.equal(result.bits.opcode, 0, "opcode");
  assert.deepEqual(
    result.reply.questions.map((q) => `${q.name} ${q.type}`),
    [`${target.qname} ${target.qtype}`],
    "question echoed",
  );
  target.answer(result.reply);
}

/** NODATA: NOERROR, AA=1, empty answer, the zone's SOA in the authority section. */
function nodata(result: Result): void {
  assert.equal(result.reply.header.rcode, RCODE.NOERROR, "rcode NOERROR");
  assert.equal(result.bits.aa, true, "AA");
  assert.equal(result.reply.answers.length, 0, "empty answer");
  assert.deepEqual(
    result.reply.authorities.map((r) => `${r.name} ${r.type}`),
    [`${ZONE} ${TYPE.SOA}`],
    "SOA in authority",
  );
}

function noOpt(result: Result): void {
  assert.equal(result.opt, undefined, "no OPT in the reply to a query without one");
}

/** The server's NSID (started with --nsid): RFC 5001, sent only to clients that ask. */
const NSID = "compliance-ns1";

/**
 * OPT version 0, the server's payload size, the given flags (DO only), and no options but the
 * NSID when the query asked for it (unknown and unsupported options are never echoed).
 */
function opt0(result: Result, flags = 0, nsid = false): void {
  assert.ok(result.opt, "OPT present");
  assert.equal(result.opt.version, 0, "EDNS version 0");
  assert.equal(result.opt.payload, SERVER_UDP_MAX, "payload = server maximum");
  assert.equal(result.opt.flags, flags, `EDNS flags 0x${flags.toString(16)}`);
  assert.deepEqual(result.opt.options, nsid ? [`3:${NSID}`] : [], "EDNS options in the reply");
}

/** BADVERS (16): OPT version 0, no answer, AA=0 (RFC 6891 §6.1.3, RFC 8906 §8.2.2). */
function badvers(result: Result, flags = 0, nsid = false): void {
  assert.equal(result.reply.header.rcode, RCODE.BADVERS, "rcode BADVERS");
  assert.equal(result.bits.rcode, 0, "low 4 bits 0 (BADVERS is all in the OPT)");
  assert.equal(result.opt?.extendedRcode, 1, "extended rcode 1");
  assert.equal(result.bits.aa, false, "AA");
  assert.equal(result.reply.answers.length, 0, "no answer");
  opt0(result, flags, nsid);
}

/** NOTIMP: opcode echoed, every flag but QR clear, no question, no records, no OPT. */
function notimp(result: Result, opcode: number): void {
  assert.equal(result.reply.header.rcode, RCODE.NOTIMP, "rcode NOTIMP");
  assert.equal(result.bits.opcode, opcode, "opcode echoed");
  for (const flag of ["aa", "tc", "rd", "ra", "ad", "cd", "z"] as const)
    assert.equal(result.bits[flag], false, `${flag} clear`);
  assert.deepEqual(
    [result.bits.qdcount, result.bits.ancount, result.bits.nscount, result.bits.arcount],
    [0, 0, 0, 0],
    "no sections",
  );
  assert.equal(result.raw.length, 12, "header only");
}

const edns0 = { udpPayloadSize: 4096 };
const ednsVersion1 = { udpPayloadSize: 4096, version: 1 };

const PROBES: Probe[] = [
  {
    id: "dns",
    expect: "NOERROR, answer, AA=1, no OPT",
    check: (r, t) => (positive(r, t), noOpt(r)),
  },
  {
    id: "aa",
    expect: "AA=1 in the query is ignored: NOERROR, answer, AA=1",
    header: { aa: true },
    check: (r, t) => (positive(r, t), noOpt(r)),
  },
  {
    id: "ad",
    expect: "NOERROR, answer, AD=0 (unsigned zone)",
    header: { ad: true },
    check: (r, t) => (positive(r, t), noOpt(r)),
  },
  {
    id: "cd",
    expect: "NOERROR, answer, CD copied",
    header: { cd: true },
    check: (r, t) => (positive(r, t), assert.equal(r.bits.cd, true, "CD copied"), noOpt(r)),
  },
  {
    id: "ra",
    expect: "RA=1 in the query is ignored: NOERROR, answer, RA=0",
    header: { ra: true },
    check: (r, t) => (positive(r, t), noOpt(r)),
  },
  {
    id: "rd",
    expect: "NOERROR, answer, RD copied, RA=0 (no recursion)",
    header: { rd: true },
    check: (r, t) => (positive(r, t), assert.equal(r.bits.rd, true, "RD copied"), noOpt(r)),
  },
  {
    id: "tc",
    expect: "TC=1 in the query is ignored: NOERROR, answer, TC=0",
    header: { tc: true },
    check: (r, t) => (positive(r, t), noOpt(r)),
  },
  {
    id: "zflag",
    expect: "NOERROR, answer, Z clear in the reply",
    header: { z: true },
    check: (r, t) => (positive(r, t), noOpt(r)),
  },
  {
    id: "opcode",
    expect: "opcode 15 → NOTIMP, opcode echoed, header only",
    header: { opcode: 15 },
    check: (r) => notimp(r, 15),
  },
  {
    id: "opcodeflg",
    expect: "opcode 15 with TC RD RA CD AD AA Z → NOTIMP, every flag clear",
    header: { opcode: 15, tc: true, rd: true, ra: true, cd: true, ad: true, aa: true, z: true },
    check: (r) => notimp(r, 15),
  },
  {
    id: "type666",
    expect: "NODATA (NOERROR, SOA in authority), never FORMERR",
    qtype: TYPE.TYPE666,
    check: (r) => (nodata(r), noOpt(r)),
  },
  {
    id: "tcp",
    expect: "over TCP: NOERROR, answer, no OPT",
    tcp: true,
    check: (r, t) => (positive(r, t), noOpt(r)),
  },
  {
    id: "edns",
    expect: "NOERROR, answer, OPT version 0",
    edns: edns0,
    check: (r, t) => (positive(r, t), opt0(r)),
  },
  {
    id: "edns1",
    expect: "EDNS version 1 → BADVERS, OPT version 0, no answer",
    edns: ednsVersion1,
    check: (r) => badvers(r),
  },
  {
    id: "edns@512",
    expect: "DNSKEY DO=1 bufsize 512 → NODATA that fits 512 bytes, OPT version 0 with DO",
    qtype: TYPE.DNSKEY,
    edns: { udpPayloadSize: 512, do: true },
    check: (r) => {
      nodata(r);
      assert.ok(r.raw.length <= 512, `${r.raw.length} bytes`);
      assert.equal(r.bits.tc, false, "TC");
      opt0(r, 0x8000);
    },
  },
  {
    id: "ednsopt",
    expect: "unknown option 100 → NOERROR, answer, option not echoed",
    edns: { ...edns0, options: [OPTION.UNKNOWN] },
    check: (r, t) => (positive(r, t), opt0(r)),
  },
  {
    id: "edns1opt",
    expect: "version 1 + option 100 → BADVERS, OPT version 0, option not echoed",
    edns: { ...ednsVersion1, options: [OPTION.UNKNOWN] },
    check: (r) => badvers(r),
  },
  {
    id: "do",
    expect: "DO=1 → NOERROR, answer, DO echoed, no signatures",
    edns: { ...edns0, do: true },
    check: (r, t) => {
      positive(r, t);
      opt0(r, 0x8000);
      assert.ok(
        r.reply.answers.every((record) => record.type !== 46),
        "no RRSIG",
      );
    },
  },
  {
    id: "docd",
    expect: "DO=1 CD=1 → NOERROR, answer, DO echoed, CD copied",
    header: { cd: true },
    edns: { ...edns0, do: true },
    check: (r, t) => (positive(r, t), opt0(r, 0x8000), assert.equal(r.bits.cd, true, "CD")),
  },
  {
    id: "edns1do",
    expect: "version 1 DO=1 → BADVERS, DO echoed",
    edns: { ...ednsVersion1, do: true },
    check: (r) => badvers(r, 0x8000),
  },
  {
    id: "ednsflags",
    expect: "unknown EDNS flag 0x0080 → NOERROR, answer, flag cleared (MBZ)",
    edns: { ...edns0, flags: 0x0080 },
    check: (r, t) => (positive(r, t), opt0(r, 0)),
  },
  {
    id: "optlist",
    expect: "NSID, ECS, EXPIRE, COOKIE → NOERROR, answer, NSID answered, the others ignored",
    edns: { ...edns0, options: [OPTION.NSID, OPTION.ECS, OPTION.EXPIRE, OPTION.COOKIE] },
    check: (r, t) => (positive(r, t), opt0(r, 0, true)),
  },
  ...(["NSID", "COOKIE", "EXPIRE", "ECS"] as const).map((option): Probe => ({
    id: `edns${option === "ECS" ? "subnet" : option.toLowerCase()}`,
    expect:
      option === "NSID"
        ? "NSID → NOERROR, answer, NSID answered with the server's id (RFC 5001)"
        : `${option} → NOERROR, answer, option ignored (not supported)`,
    edns: { ...edns0, options: [OPTION[option]] },
    check: (r, t) => (positive(r, t), opt0(r, 0, option === "NSID")),
  })),
  ...(["NSID", "COOKIE", "EXPIRE", "ECS"] as const).map((option): Probe => ({
    id: `edns1${option === "ECS" ? "subnet" : option.toLowerCase()}`,
    expect:
      option === "NSID"
        ? "version 1 + NSID → BADVERS, OPT version 0, NSID answered"
        : `version 1 + ${option} → BADVERS, OPT version 0, option not echoed`,
    edns: { ...ednsVersion1, options: [OPTION[option]] },
    check: (r) => badvers(r, 0, option === "NSID"),
  })),
  {
    id: "ednstcp",
    expect: "DNSKEY DO=1 bufsize 512 over TCP → NODATA, OPT version 0 with DO",
    qtype: TYPE.DNSKEY,
    edns: { udpPayloadSize: 512, do: true },
    tcp: true,
    check: (r) => (nodata(r), opt0(r, 0x8000)),
  },
  {
    id: "bind11",
    expect: "COOKIE + DO (what named 9.11 sends) → NOERROR, answer, DO echoed",
    edns: { ...edns0, do: true, options: [OPTION.COOKIE] },
    check: (r, t) => (positive(r, t), opt0(r, 0x8000)),
  },
  {
    id: "dig11",
    expect: "COOKIE + AD + RD (what dig 9.11 sends) → NOERROR, answer, RD copied, AD=0",
    header: { ad: true, rd: true },
    edns: { ...edns0, options: [OPTION.COOKIE] },
    check: (r, t) => (positive(r, t), opt0(r), assert.equal(r.bits.rd, true, "RD")),
  },
];

/** genreport's TYPE group (-t): plain queries at the apex for each type it knows. */
const APEX_TYPES: [string, number][] = Object.entries({
  A: 1,
  NS: 2,
  MD: 3,
  MF: 4,
  CNAME: 5,
  SOA: 6,
  MB: 7,
  MG: 8,
  MR: 9,
  NULL: 10,
  WKS: 11,
  PTR: 12,
  HINFO: 13,
  MINFO: 14,
  MX: 15,
  TXT: 16,
  RP: 17,
  AFSDB: 18,
  X25: 19,
  ISDN: 20,
  RT: 21,
  NSAP: 22,
  "NSAP-PTR": 23,
  SIG: 24,
  KEY: 25,
  PX: 26,
  GPOS: 27,
  AAAA: 28,
  LOC: 29,
  NXT: 30,
  SRV: 33,
  NAPTR: 35,
  KX: 36,
  CERT: 37,
  A6: 38,
  DNAME: 39,
  APL: 42,
  DS: 43,
  SSHFP: 44,
  IPSECKEY: 45,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  DHCID: 49,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  SMIMEA: 53,
  HIP: 55,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  SPF: 99,
  NID: 104,
  L32: 105,
  L64: 106,
  LP: 107,
  EUI48: 108,
  EUI64: 109,
  URI: 256,
  CAA: 257,
  AVC: 258,
  DOA: 259,
  DLV: 32769,
  TYPE1000: 1000,
});

describe("ISC EDNS compliance probes (genreport / RFC 8906 §8)", function () {
  this.timeout(30000);
  let server: TestServer;
  const passed: string[] = [];

  before(async () => {
    server = await startTestServer(specObjects(), ["--nsid", NSID]);
  });
  after(async () => {
    await server.stop();
    console.log(`      ${passed.length} probes passed: ${passed.join(" ")}`);
  });

  for (const target of TARGETS) {
    describe(target.label, () => {
      for (const probe of PROBES) {
        it(`${probe.id}: ${probe.expect}`, async () => {
          const id = nextId++;
          const result = await send(server, build(probe, target, id), probe.tcp === true);
          common(result, id);
          probe.check(result, target, probe);
          passed.push(`${probe.id}@${target.qtype === TYPE.SOA ? "apex" : "svc"}`);
        });
      }
    });
  }

  describe("edns@512 where the answer is large (300 endpoints)", () => {
    it("edns@512 on big A: ≤ 512 bytes, whole records, TC=1, OPT kept with DO", async () => {
      const id = nextId++;
      const result = await send(
        server,
        packet(
          header({ id, arcount: 1 }),
          question(name("big"), TYPE.A),
          opt({ udpPayloadSize: 512, do: true }),
        ),
        false,
      );
      common(result, id);
      assert.equal(result.reply.header.rcode, RCODE.NOERROR);
      assert.ok(result.raw.length <= 512, `${result.raw.length} bytes`);
      assert.equal(result.bits.tc, true, "TC");
      assert.ok(result.reply.answers.length > 10, `${result.reply.answers.length} answers`);
      opt0(result, 0x8000);
    });
  });

  describe("BIND +ednsnegotiation", () => {
    it("version 1 → BADVERS naming version 0; the retry at version 0 → NOERROR, answer", async () => {
      const target = TARGETS[1]!;
      const first = await send(
        server,
        build({ id: "neg", expect: "", edns: ednsVersion1, check: () => undefined }, target, 7),
        false,
      );
      badvers(first);
      const version = first.opt!.version;
      assert.equal(version, 0);
      const retry = await send(
        server,
        build(
          {
            id: "neg",
            expect: "",
            edns: { udpPayloadSize: 4096, version },
            check: () => undefined,
          },
          target,
          8,
        ),
        false,
      );
      common(retry, 8);
      positive(retry, target);
      opt0(retry);
    });
  });

  describe("TYPE probes at the apex (genreport -t): NOERROR, SOA/NS answered, every other type NODATA", () => {
    for (const [label, type] of APEX_TYPES) {
      const answered = type === TYPE.SOA || type === TYPE.NS;
      it(`${label} (${type}) → ${answered ? "answer" : "NODATA"}`, async () => {
        const id = nextId++;
        const result = await send(server, packet(header({ id }), question(ZONE, type)), false);
        common(result, id);
        assert.equal(result.bits.aa, true, "AA");
        if (answered) {
          assert.equal(result.reply.header.rcode, RCODE.NOERROR);
          assert.deepEqual(
            result.reply.answers.map((r) => `${r.name} ${r.type}`),
            [`${ZONE} ${type}`],
          );
        } else {
          nodata(result);
        }
      });
    }
  });
});

describe("RFC 1035 / 2308 / 8020 negative answers", function () {
  this.timeout(30000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer(specObjects(), ["--ttl", "300"]);
  });
  after(() => server.stop());

  const ask = async (qname: string, qtype: number): Promise<Result> => {
    const id = nextId++;
    const result = await send(server, packet(header({ id }), question(qname, qtype)), false);
    common(result, id);
    return result;
  };

  it("RFC 8020: every name below a missing name is NXDOMAIN, whatever the type", async () => {
    const missing = name("nosuch");
    for (const prefix of ["", "a.", "b.a.", "_http._tcp.", "x.y.z.w."]) {
      for (const type of [TYPE.A, 28, TYPE.SRV, TYPE.TXT, TYPE.TYPE666, 255]) {
        const result = await ask(`${prefix}${missing}`, type);
        assert.equal(result.reply.header.rcode, RCODE.NXDOMAIN, `${prefix}${missing} ${type}`);
      }
    }
  });

  it("RFC 8020: below a name that exists with no children (v4svc) is NXDOMAIN", async () => {
    for (const qname of [`c1.${name("v4svc")}`, `pod.c1.${name("v4svc")}`]) {
      const result = await ask(qname, TYPE.A);
      assert.equal(result.reply.header.rcode, RCODE.NXDOMAIN, qname);
    }
  });

  it("empty non-terminals are NODATA, their missing siblings NXDOMAIN", async () => {
    const rows: [string, number][] = [
      [`svc.${ZONE}`, RCODE.NOERROR],
      [`ns.svc.${ZONE}`, RCODE.NOERROR],
      [`c1.${name("hl")}`, RCODE.NOERROR],
      [`extra.${name("hl")}`, RCODE.NOERROR],
      [`name.extra.${name("hl")}`, RCODE.NOERROR],
      [`_tcp.${name("v4svc")}`, RCODE.NOERROR],
      [`nosuch.svc.${ZONE}`, RCODE.NXDOMAIN],
      [`c9.${name("hl")}`, RCODE.NXDOMAIN],
      [`other.extra.${name("hl")}`, RCODE.NXDOMAIN],
      [`_sctp.${name("v4svc")}`, RCODE.NXDOMAIN],
    ];
    for (const [qname, rcode] of rows) {
      const result = await ask(qname, TYPE.A);
      assert.equal(result.reply.header.rcode, rcode, qname);
      assert.equal(result.reply.answers.length, 0, qname);
    }
  });

  it("RFC 2308 §3: negative answers carry the apex SOA (same serial) with TTL = min(TTL, MINIMUM)", async () => {
    const apex = await ask(ZONE, TYPE.SOA);
    const soa = apex.reply.answers[0]!;
    assert.equal(soa.ttl, 300);
    for (const [qname, type] of [
      [name("nosuch"), TYPE.A],
      [name("v4svc"), TYPE.TXT],
    ] as const) {
      const result = await ask(qname, type);
      assert.equal(result.bits.aa, true, "AA");
      assert.equal(result.reply.authorities.length, 1);
      const negative = result.reply.authorities[0]!;
      assert.equal(negative.name, ZONE, "owner is the apex, not the question");
      assert.equal(negative.serial, soa.serial, "same serial as the apex SOA");
      assert.equal(negative.ttl, Math.min(soa.ttl, soa.minimum!));
    }
  });

  it("RFC 1035 §4.1.1: a negative answer echoes the question exactly, case kept", async () => {
    const qname = "NoSuch.Ns.SVC.clusterset.LOCAL";
    const result = await ask(qname, TYPE.A);
    assert.equal(result.reply.header.rcode, RCODE.NXDOMAIN);
    assert.deepEqual({ ...result.reply.questions[0] }, { name: qname, type: TYPE.A, class: 1 });
  });

  it("RFC 2308 §5: NXDOMAIN for a missing name does not hide a sibling that exists", async () => {
    const missing = await ask(name("nosuch"), TYPE.A);
    assert.equal(missing.reply.header.rcode, RCODE.NXDOMAIN);
    const present = await ask(name("v4svc"), TYPE.A);
    assert.equal(present.reply.header.rcode, RCODE.NOERROR);
    assert.equal(present.reply.answers.length, 1);
  });
});

describe("the probes' OPT reader", () => {
  it("sees options, version and flags in a hand-built reply", () => {
    const raw = packet(
      header({ qr: true, arcount: 1 }),
      question("a.b", 1),
      opt({ version: 1, do: true, flags: 0x80, options: [OPTION.UNKNOWN, OPTION.COOKIE] }),
    );
    assert.deepEqual(optOf(raw), {
      payload: 1232,
      extendedRcode: 0,
      version: 1,
      flags: 0x8080,
      options: ["100", "10:\x01\x02\x03\x04\x05\x06\x07\x08"],
    });
  });
});
