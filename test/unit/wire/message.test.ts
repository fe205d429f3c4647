import assert from "node:assert/strict";
import dns2 from "dns2";
import { decodeMessage, encodeQuery } from "../../../src/wire/message.js";
import { RRClass, RRType } from "../../../src/wire/types.js";

const { Packet } = dns2;

describe("wire/message encodeQuery", () => {
  it("builds the exact bytes of a query with EDNS", () => {
    const out = encodeQuery({
      id: 0x0102,
      name: "a.Bc",
      type: RRType.SRV,
      edns: {
        udpPayloadSize: 1232,
        dnssecOk: true,
        options: [{ code: 10, data: Uint8Array.from([9]) }],
      },
    });
    // prettier-ignore
    assert.deepEqual(Array.from(out), [
      1, 2, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
      1, 0x61, 2, 0x42, 0x63, 0,
      0, 33, 0, 1,
      0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 5, 0, 10, 0, 1, 9,
    ]);
  });

  it("sets opcode, RD, CD, class and EDNS version as asked", () => {
    const out = encodeQuery({
      id: 7,
      name: "version.bind.",
      type: RRType.TXT,
      class: RRClass.CH,
      rd: false,
      cd: true,
      opcode: 2,
      edns: { udpPayloadSize: 512, version: 1, flags: 0x0001 },
    });
    const decoded = decodeMessage(out);
    assert.equal(decoded.header.opcode, 2);
    assert.equal(decoded.header.rd, false);
    assert.equal(decoded.header.cd, true);
    assert.deepEqual(decoded.questions, [
      { name: "version.bind", nameLower: "version.bind", type: RRType.TXT, class: RRClass.CH },
    ]);
    assert.deepEqual(decoded.additional[0]?.data, {
      type: RRType.OPT,
      udpPayloadSize: 512,
      extendedRcode: 0,
      version: 1,
      flags: 1,
      options: [],
    });
  });

  it("accepts \\DDD and \\c escapes and the root name", () => {
    const escaped = decodeMessage(encodeQuery({ id: 1, name: "a\\046b\\\\.c", type: 1 }));
    assert.equal(escaped.questions[0]?.name, "a\\046b\\092.c");
    const root = encodeQuery({ id: 1, name: "", type: RRType.NS });
    assert.deepEqual(Array.from(root.subarray(12)), [0, 0, 2, 0, 1]);
    assert.deepEqual(Array.from(encodeQuery({ id: 1, name: ".", type: 2 })), Array.from(root));
  });

  it("throws on names that cannot be encoded", () => {
    assert.throws(() => encodeQuery({ id: 1, name: "a..b", type: 1 }), /not an encodable name/);
    assert.throws(() => encodeQuery({ id: 1, name: "x".repeat(64), type: 1 }), /not an encodable/);
    assert.throws(() => encodeQuery({ id: 1, name: "a\\25", type: 1 }), /not an encodable/);
    assert.throws(() => encodeQuery({ id: 1, name: "a\\256", type: 1 }), /not an encodable/);
    const tooLong = Array.from({ length: 4 }, () => "y".repeat(63)).join(".");
    assert.throws(() => encodeQuery({ id: 1, name: tooLong, type: 1 }), /not an encodable/);
  });

  it("is readable by dns2", () => {
    const packet = Packet.parse(
      Buffer.from(encodeQuery({ id: 77, name: "s.n.svc.clusterset.local", type: RRType.AAAA })),
    );
    assert.equal(packet.header.id, 77);
    assert.equal(packet.header.rd, 1);
    assert.equal(packet.questions[0]?.name, "s.n.svc.clusterset.local");
    assert.equal(packet.questions[0]?.type, RRType.AAAA);
  });
});

describe("wire/message decodeMessage", () => {
  it("decodes records dns2 wrote, unknown types as raw rdata", () => {
    const response = new Packet();
    response.header.id = 5;
    response.header.qr = 1;
    // dns2's declared Resource type wants methods its encoder does not use.
    const answers = response.answers as unknown[];
    response.questions.push(new Packet.Question("x.example", Packet.TYPE.A, Packet.CLASS.IN));
    answers.push({
      name: "x.example",
      type: Packet.TYPE.A,
      class: Packet.CLASS.IN,
      ttl: 30,
      address: "192.0.2.7",
    });
    answers.push({
      name: "x.example",
      type: Packet.TYPE.AAAA,
      class: Packet.CLASS.IN,
      ttl: 30,
      address: "2001:db8::7",
    });
    answers.push({
      name: "x.example",
      type: Packet.TYPE.CNAME,
      class: Packet.CLASS.IN,
      ttl: 30,
      domain: "y.example",
    });
    const decoded = decodeMessage(response.toBuffer());
    assert.equal(decoded.header.id, 5);
    assert.equal(decoded.header.qr, true);
    assert.deepEqual(decoded.answer[0], {
      name: "x.example",
      class: 1,
      ttl: 30,
      data: { type: RRType.A, address: "192.0.2.7" },
    });
    assert.deepEqual(decoded.answer[1]?.data, { type: RRType.AAAA, address: "2001:db8::7" });
    // CNAME rdata is the name "y" + a pointer to "example" in the question.
    const cname = decoded.answer[2]?.data;
    assert.ok(cname && "rdata" in cname);
    assert.equal(cname.type, RRType.CNAME);
    assert.deepEqual(Array.from(cname.rdata.subarray(0, 2)), [1, 0x79]);
  });

  it("throws a clear error for malformed messages", () => {
    assert.throws(() => decodeMessage(new Uint8Array(5)), /shorter than the 12-byte header/);
    const query = encodeQuery({ id: 1, name: "a.b", type: 1 });
    assert.throws(() => decodeMessage(query.subarray(0, query.length - 1)), /runs past the end/);
    const lying = query.slice();
    lying[7] = 1; // ANCOUNT 1, no answer bytes
    assert.throws(() => decodeMessage(lying), /answer record 0/);
    // prettier-ignore
    const badA = Uint8Array.from([
      ...query,
      0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3,
    ]);
    badA[7] = 1;
    assert.throws(() => decodeMessage(badA), /A rdata is 3 bytes/);
    const loop = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    assert.throws(() => decodeMessage(loop), /loop/);
  });
});
