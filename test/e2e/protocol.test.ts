// spec §4: protocol behaviour of an authoritative server, with raw packets over real sockets.

import assert from "node:assert/strict";
import {
  buildQuery,
  decode,
  query,
  TcpClient,
  tcpExchange,
  udpExchange,
} from "../support/dns-client.js";
import { assertReplyHeader, RCODE, ZONE } from "../support/expect.js";
import { header, opt, packet, question, replyHeader } from "../support/raw-packet.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { BIG_COUNT, bigAddress, name, specObjects } from "../support/spec-fixture.js";

const SILENCE_MS = 400;

describe("spec §4 protocol", () => {
  let server: TestServer;
  const udp = (bytes: Buffer, timeout?: number) => udpExchange(server.port, bytes, timeout);

  before(async () => {
    server = await startTestServer(specObjects(), ["--server-id", "replica-1"]);
  });
  after(async () => {
    await server.stop();
  });

  describe("header", () => {
    it("echoes ID and opcode, sets QR and AA, copies RD and CD, clears RA, AD and Z", async () => {
      const bytes = packet(
        header({ id: 0xbeef, rd: true, cd: true, ad: true, z: true, ra: true }),
        question(name("v4svc")),
      );
      const reply = await udp(bytes);
      assert.ok(reply);
      const h = replyHeader(reply);
      assert.deepEqual(
        [h.id, h.qr, h.opcode, h.aa, h.tc, h.rd, h.ra, h.z, h.ad, h.cd, h.rcode],
        [0xbeef, true, 0, true, false, true, false, false, false, true, 0],
      );
    });

    it("RD clear in the query stays clear", async () => {
      const reply = await udp(packet(header({ rd: false }), question(name("v4svc"))));
      assert.equal(replyHeader(reply!).rd, false);
    });

    it("echoes the question's case and uses it for the answer owner; SOA stays lower case", async () => {
      const mixed = "V4Svc.NS.svc.ClusterSet.LOCAL";
      const reply = await query(server.port, mixed, { type: "A" });
      assert.equal(reply.questions[0]!.name, mixed);
      assert.equal(reply.answers[0]!.name, mixed);
      const nodata = await query(server.port, mixed, { type: "AAAA" });
      assert.equal(nodata.questions[0]!.name, mixed);
      assert.equal(nodata.authorities[0]!.name, ZONE);
      // The same name asked again in another case (an answer-cache hit) keeps that case too.
      const again = await query(server.port, "v4svc.ns.SVC.clusterset.local", { type: "A" });
      assert.equal(again.questions[0]!.name, "v4svc.ns.SVC.clusterset.local");
      assert.equal(again.answers[0]!.name, "v4svc.ns.SVC.clusterset.local");
    });
  });

  describe("dropped and malformed input", () => {
    it("drops datagrams shorter than 12 bytes, then answers the next query", async () => {
      for (const length of [0, 1, 11]) {
        assert.equal(
          await udp(Buffer.alloc(length, 0x41), SILENCE_MS),
          undefined,
          `length ${length}`,
        );
      }
      assertReplyHeader(await query(server.port, name("v4svc")), RCODE.NOERROR, true);
    });

    it("never answers a response (QR=1)", async () => {
      const bytes = packet(header({ qr: true }), question(name("v4svc")));
      assert.equal(await udp(bytes, SILENCE_MS), undefined);
    });

    it("unknown opcode → NOTIMP echoing ID and opcode, every other flag clear, no records", async () => {
      for (const opcode of [1, 2, 4, 5, 15]) {
        const bytes = packet(
          header({ id: 77, opcode, rd: true, cd: true, ad: true, aa: true }),
          question(name("v4svc")),
        );
        const reply = await udp(bytes);
        assert.ok(reply, `opcode ${opcode}`);
        const h = replyHeader(reply);
        assert.deepEqual(
          [h.id, h.qr, h.opcode, h.rcode, h.aa, h.tc, h.rd, h.ra, h.ad, h.cd, h.z],
          [77, true, opcode, RCODE.NOTIMP, false, false, false, false, false, false, false],
        );
        assert.deepEqual([h.ancount, h.nscount, h.arcount], [0, 0, 0]);
      }
    });

    it("QDCOUNT 0 or 2 → FORMERR", async () => {
      for (const bytes of [
        packet(header({ qdcount: 0, rd: true })),
        packet(header({ qdcount: 2, rd: true }), question(name("v4svc")), question(name("dual"))),
      ]) {
        const reply = await udp(bytes);
        assert.ok(reply);
        const h = replyHeader(reply);
        assert.equal(h.rcode, RCODE.FORMERR);
        assert.equal(h.aa, false);
        assert.equal(h.rd, true, "RD echoed");
        assert.equal(h.id, 0x1234);
      }
    });

    it("unparsable question → FORMERR echoing ID, opcode and RD", async () => {
      const cases = [
        packet(header({ rd: true }), [3, 0x61, 0x62]), // name runs off the end
        packet(header({ rd: true }), [0xc0, 12, 0, 1, 0, 1]), // pointer to itself
        packet(header({ rd: true }), [64, ...Buffer.alloc(64, 0x61), 0, 0, 1, 0, 1]), // label > 63
        packet(header({ rd: true }), [0x41, 0, 0, 1, 0, 1]), // extended label type
        packet(header({ rd: true }), question(name("v4svc")).slice(0, -1)), // class cut short
      ];
      for (const bytes of cases) {
        const reply = await udp(bytes);
        assert.ok(reply);
        const h = replyHeader(reply);
        assert.deepEqual(
          [h.id, h.opcode, h.rd, h.rcode, h.aa],
          [0x1234, 0, true, RCODE.FORMERR, false],
        );
      }
    });

    it("a name over 255 bytes → FORMERR", async () => {
      const long = Array.from({ length: 5 }, () => "a".repeat(60)).join(".");
      const reply = await udp(packet(header({}), question(long)));
      assert.equal(replyHeader(reply!).rcode, RCODE.FORMERR);
    });

    it("counts that promise more records than the packet holds → FORMERR", async () => {
      const reply = await udp(packet(header({ arcount: 3 }), question(name("v4svc"))));
      assert.equal(replyHeader(reply!).rcode, RCODE.FORMERR);
    });
  });

  describe("classes and zones", () => {
    it("CH version.bind → REFUSED", async () => {
      const reply = await query(server.port, "version.bind", { type: "TXT", class: 3 });
      assertReplyHeader(reply, RCODE.REFUSED, false);
    });

    it("CH TXT id.server answers the server id when enabled", async () => {
      const reply = await query(server.port, "id.server", { type: "TXT", class: 3 });
      assertReplyHeader(reply, RCODE.NOERROR, true);
      assert.deepEqual(reply.answers[0]!.data, ["replica-1"]);
    });

    for (const [label, qname, type] of [
      ["a name outside the zone", "example.com", "A"],
      ["the root NS (CoreDNS forward health check)", "", "NS"],
      ["a reverse name", "1.0.0.10.in-addr.arpa", "PTR"],
      ["an IPv6 reverse name", "ip6.arpa", "PTR"],
      ["a sibling of the zone", "local", "SOA"],
      ["CoreDNS's loop-detection HINFO", "1234567.8901234.clusterset.locall", "HINFO"],
    ] as const) {
      it(`REFUSED with the question echoed: ${label}`, async () => {
        for (const transport of ["udp", "tcp"] as const) {
          const started = Date.now();
          const reply = await query(server.port, qname, { type, transport });
          assertReplyHeader(reply, RCODE.REFUSED, false);
          assert.equal(reply.questions.length, 1);
          assert.equal(reply.questions[0]!.name, qname);
          assert.ok(Date.now() - started < 1000, "promptly");
        }
      });
    }

    it("unknown type (TYPE666) on an existing name → NODATA", async () => {
      const reply = await query(server.port, name("v4svc"), { type: 666 });
      assertReplyHeader(reply, RCODE.NOERROR, true);
      assert.equal(reply.answers.length, 0);
      assert.equal(reply.authorities[0]!.type, 6);
    });
  });

  describe("EDNS(0)", () => {
    it("OPT in the reply only when the query had one", async () => {
      const plain = await query(server.port, name("v4svc"));
      assert.equal(plain.additionals.filter((r) => r.type === 41).length, 0);
      const edns = await query(server.port, name("v4svc"), { edns: { udpPayloadSize: 4096 } });
      const optRecords = edns.additionals.filter((r) => r.type === 41);
      assert.equal(optRecords.length, 1);
      assert.equal(optRecords[0]!.version, 0);
    });

    it("version 1 → BADVERS with an OPT of version 0, DO echoed", async () => {
      const reply = decode(
        (await udp(
          packet(header({ arcount: 1 }), question(name("v4svc")), opt({ version: 1, do: true })),
        ))!,
      );
      assert.equal(reply.header.rcode, RCODE.BADVERS);
      assert.equal(reply.header.aa, 0);
      const o = reply.additionals.find((r) => r.type === 41)!;
      assert.equal(o.version, 0);
      assert.equal(o.doFlag, true);
      assert.equal(reply.answers.length, 0);
    });

    it("DO is echoed, other EDNS flags cleared, unknown options ignored", async () => {
      const reply = await udp(
        packet(
          header({ arcount: 1 }),
          question(name("v4svc")),
          opt({
            do: true,
            flags: 0x4000,
            options: [
              { code: 65001, data: [1, 2, 3] },
              { code: 12, data: [0, 0] },
            ],
          }),
        ),
      );
      const decoded = decode(reply!);
      assert.equal(decoded.header.rcode, 0);
      assert.equal(decoded.answers.length, 1);
      // Flags word of the OPT TTL: only DO may be set.
      // The OPT is last and has no options: ... TTL(ext rcode, version, flags) RDLENGTH(0).
      const optTtlFlags = reply!.readUInt16BE(reply!.length - 4);
      assert.equal(optTtlFlags, 0x8000);
    });

    it("DO clear stays clear", async () => {
      const reply = await query(server.port, name("v4svc"), { edns: { do: false } });
      assert.equal(reply.additionals.find((r) => r.type === 41)!.doFlag, false);
    });

    it("two OPT records → FORMERR", async () => {
      const reply = await udp(
        packet(header({ arcount: 2 }), question(name("v4svc")), opt(), opt()),
      );
      assert.equal(replyHeader(reply!).rcode, RCODE.FORMERR);
    });

    it("OPT with a non-root owner → FORMERR", async () => {
      const reply = await udp(
        packet(header({ arcount: 1 }), question(name("v4svc")), opt({ owner: "x" })),
      );
      assert.equal(replyHeader(reply!).rcode, RCODE.FORMERR);
    });
  });

  describe("truncation", () => {
    const bigName = name("big");
    const expectPrefixOfBig = (got: string[]): void => {
      const all = new Set(Array.from({ length: BIG_COUNT }, (_, i) => bigAddress(i)));
      assert.ok(
        got.every((a) => all.has(a)),
        "every truncated answer is a real record",
      );
      assert.equal(new Set(got).size, got.length, "no duplicates");
    };

    it("300 endpoints over UDP without EDNS: ≤ 512 bytes, whole records, TC=1", async () => {
      const raw = (await udp(buildQuery(bigName)))!;
      assert.ok(raw.length <= 512, `${raw.length} bytes`);
      const reply = decode(raw);
      assert.equal(reply.header.tc, 1);
      assert.ok(
        reply.answers.length >= 20 && reply.answers.length < BIG_COUNT,
        `${reply.answers.length} answers`,
      );
      assert.equal(reply.header.ancount, reply.answers.length);
      expectPrefixOfBig(reply.answers.map((r) => r.address!));
    });

    it("300 endpoints with EDNS 1232: ≤ 1232 bytes, TC=1, OPT kept", async () => {
      const raw = (await udp(buildQuery(bigName, { edns: { udpPayloadSize: 1232 } })))!;
      assert.ok(raw.length <= 1232 && raw.length > 1000, `${raw.length} bytes`);
      const reply = decode(raw);
      assert.equal(reply.header.tc, 1);
      assert.equal(reply.additionals.filter((r) => r.type === 41).length, 1);
      expectPrefixOfBig(reply.answers.map((r) => r.address!));
    });

    it("a client advertising 4096 still gets at most the server maximum (1232)", async () => {
      const raw = (await udp(buildQuery(bigName, { edns: { udpPayloadSize: 4096 } })))!;
      assert.ok(raw.length <= 1232, `${raw.length} bytes`);
      assert.equal(decode(raw).header.tc, 1);
    });

    it("an advertised size below 512 counts as 512", async () => {
      const raw = (await udp(buildQuery(bigName, { edns: { udpPayloadSize: 100 } })))!;
      assert.ok(raw.length <= 512 && raw.length > 400, `${raw.length} bytes`);
    });

    it("over TCP the full answer arrives: 300 records, TC=0", async () => {
      const reply = await query(server.port, bigName, { transport: "tcp" });
      assert.equal(reply.header.tc, 0);
      assert.equal(reply.answers.length, BIG_COUNT);
      assert.equal(new Set(reply.answers.map((r) => r.address)).size, BIG_COUNT);
    });

    it("an Additional section that does not fit is dropped without TC", async () => {
      const reply = await query(server.port, `_http._tcp.${name("hl")}`, { type: "SRV" });
      assert.equal(reply.header.tc, 0);
      assert.equal(reply.answers.length, 7);
      assert.equal(reply.additionals.length, 0);
      assert.ok(reply.raw.length <= 512);
    });

    it("SRV targets are written uncompressed", async () => {
      const reply = await query(server.port, `_http._tcp.${name("v4svc")}`, { type: "SRV" });
      const target = Buffer.from(`\x05v4svc\x02ns\x03svc\x0aclusterset\x05local\x00`, "latin1");
      assert.ok(reply.raw.includes(target), "full target name bytes present");
    });
  });

  describe("TCP", () => {
    it("answers pipelined queries on one connection", async () => {
      const client = await TcpClient.connect(server.port);
      try {
        const ids = [101, 102, 103, 104];
        const names = [name("v4svc"), name("dual"), name("nosuch"), `dns-version.${ZONE}`];
        ids.forEach((id, i) =>
          client.send(buildQuery(names[i]!, { id, type: i === 3 ? "TXT" : "A" })),
        );
        const replies = await client.replies_(ids.length);
        assert.deepEqual(replies.map((r) => r.readUInt16BE(0)).sort(), ids);
        const rcodes = Object.fromEntries(replies.map((r) => [r.readUInt16BE(0), r[3]! & 0x0f]));
        assert.deepEqual(rcodes, { 101: 0, 102: 0, 103: 3, 104: 0 });
      } finally {
        client.close();
      }
    });

    it("a message split across many writes is reassembled", async () => {
      const client = await TcpClient.connect(server.port);
      try {
        const message = buildQuery(name("v4svc"), { id: 9 });
        const framed = Buffer.concat([Buffer.from([0, message.length]), message]);
        for (const byte of framed) {
          client.socket.write(Buffer.from([byte]));
          await new Promise((r) => setImmediate(r));
        }
        const [reply] = await client.replies_(1);
        assert.equal(reply!.readUInt16BE(0), 9);
      } finally {
        client.close();
      }
    });

    it("a response (QR=1) gets no reply and the connection stays usable", async () => {
      const client = await TcpClient.connect(server.port);
      try {
        client.send(packet(header({ qr: true, id: 5 }), question(name("v4svc"))));
        client.send(buildQuery(name("v4svc"), { id: 6 }));
        const replies = await client.replies_(2, 600);
        assert.deepEqual(
          replies.map((r) => r.readUInt16BE(0)),
          [6],
        );
        assert.equal(client.closed, false);
      } finally {
        client.close();
      }
    });

    it("silent connections do not delay other clients", async () => {
      const silent = await Promise.all(
        Array.from({ length: 50 }, () => TcpClient.connect(server.port)),
      );
      try {
        const started = Date.now();
        assert.ok(await tcpExchange(server.port, buildQuery(name("v4svc"))));
        assert.ok(await udp(buildQuery(name("v4svc"))));
        assert.ok(Date.now() - started < 500, `${Date.now() - started} ms`);
      } finally {
        silent.forEach((c) => c.close());
      }
    });
  });
});

describe("spec §4 TCP limits", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(specObjects(), [
      "--tcp-idle-timeout",
      "1",
      "--tcp-max-connections",
      "3",
    ]);
  });
  after(async () => {
    await server.stop();
  });

  it("closes an idle connection after the timeout", async () => {
    const client = await TcpClient.connect(server.port);
    const started = Date.now();
    await client.replies_(1, 3000);
    assert.equal(client.closed, true);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 800 && elapsed < 2500, `closed after ${elapsed} ms`);
  });

  it("at the connection cap the longest-idle connection makes room for a new one", async () => {
    const clients = [];
    for (let i = 0; i < 3; i++) {
      clients.push(await TcpClient.connect(server.port));
      await new Promise((r) => setTimeout(r, 30));
    }
    // Keep the newer two busy so the first is the longest idle.
    for (const c of clients.slice(1)) c.send(buildQuery(name("v4svc")));
    await Promise.all(clients.slice(1).map((c) => c.replies_(1)));
    const fresh = await TcpClient.connect(server.port);
    try {
      fresh.send(buildQuery(name("v4svc"), { id: 4242 }));
      const [reply] = await fresh.replies_(1);
      assert.equal(reply!.readUInt16BE(0), 4242);
      await clients[0]!.replies_(1, 500);
      assert.equal(clients[0]!.closed, true, "longest idle closed");
      assert.equal(clients[1]!.closed, false);
      assert.equal(clients[2]!.closed, false);
    } finally {
      [...clients, fresh].forEach((c) => c.close());
    }
  });
});
