// Operator features beyond the spec's table: EDNS NSID, zone transfer to listed clients, and
// UDP response-rate limiting. Checked with dig (a real client) where it speaks the feature.

import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { decodeMessage } from "../../src/wire/message.js";
import { buildQuery, decode, TcpClient, udpExchange } from "../support/dns-client.js";
import { RCODE, ZONE } from "../support/expect.js";
import { header, opt, packet, question } from "../support/raw-packet.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { BIG_COUNT, name, specObjects } from "../support/spec-fixture.js";

function hasDig(): boolean {
  try {
    execFileSync("dig", ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** dig as a child process; async, since the server under test runs in this event loop. */
async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    "dig",
    ["@127.0.0.1", "-p", String(port), "+time=2", "+tries=1", ...args],
    { encoding: "utf8", timeout: 10000 },
  );
  return stdout;
}

/** The rcode of a TCP query of `type` for `qname` (AXFR is TCP-only). */
async function tcpRcode(port: number, qname: string, type: number): Promise<number> {
  const client = await TcpClient.connect(port);
  try {
    client.send(buildQuery(qname, { type }));
    const [reply] = await client.replies_(1);
    return decode(reply!).header.rcode;
  } finally {
    client.close();
  }
}

const NSID_QUERY = (id: number) =>
  packet(
    header({ id, arcount: 1 }),
    question(name("v4svc")),
    opt({ options: [{ code: 3, data: [] }] }),
  );

function nsidOf(reply: Uint8Array): string | undefined {
  const data = decodeMessage(reply).additional.find((r) => r.data.type === 41)?.data;
  if (data === undefined || !("options" in data)) return undefined;
  const option = data.options.find((o) => o.code === 3);
  return option && Buffer.from(option.data).toString("utf8");
}

describe("EDNS NSID (RFC 5001)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(specObjects(), ["--nsid", "replica-a"]);
  });
  after(() => server.stop());

  it("answers NSID over UDP and TCP when asked, and only then", async () => {
    const udp = await udpExchange(server.port, NSID_QUERY(1));
    assert.equal(nsidOf(udp!), "replica-a");
    const client = await TcpClient.connect(server.port);
    try {
      client.send(NSID_QUERY(2));
      const [tcp] = await client.replies_(1);
      assert.equal(nsidOf(tcp!), "replica-a");
    } finally {
      client.close();
    }
    const plain = await udpExchange(server.port, buildQuery(name("v4svc"), { edns: {} }));
    assert.equal(nsidOf(plain!), undefined, "not sent unasked");
  });

  it("dig +nsid shows it", async function () {
    if (!hasDig()) this.skip();
    assert.match(await dig(server.port, "+nsid", name("v4svc")), /NSID: .*\("replica-a"\)/);
  });

  it("--nsid off sends none", async () => {
    const off = await startTestServer(specObjects(), ["--nsid", "off"]);
    try {
      assert.equal(nsidOf((await udpExchange(off.port, NSID_QUERY(3)))!), undefined);
    } finally {
      await off.stop();
    }
  });
});

describe("zone transfer", () => {
  it("AXFR is REFUSED by default", async () => {
    const server = await startTestServer(specObjects());
    try {
      assert.equal(await tcpRcode(server.port, ZONE, 252), RCODE.REFUSED);
    } finally {
      await server.stop();
    }
  });

  describe("to a listed client", () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(specObjects(), ["--allow-transfer", "127.0.0.0/8,::1"]);
    });
    after(() => server.stop());

    it("dig axfr gets the whole zone between two SOAs", async function () {
      if (!hasDig()) this.skip();
      const lines = (await dig(server.port, "axfr", ZONE, "+nocomments", "+nostats"))
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith(";"));
      assert.match(lines[0]!, /^clusterset\.local\.\s+5\s+IN\s+SOA\s/);
      assert.match(lines.at(-1)!, /^clusterset\.local\.\s+5\s+IN\s+SOA\s/);
      const body = lines.join("\n");
      assert.match(body, /^v4svc\.ns\.svc\.clusterset\.local\.\s+5\s+IN\s+A\s+10\.0\.0\.1$/m);
      assert.match(body, /^dns-version\.clusterset\.local\.\s+28800\s+IN\s+TXT\s+"1\.0\.0"$/m);
      assert.match(
        body,
        /^pod-0\.name\.extra\.hl\.ns\.svc\.clusterset\.local\.\s+5\s+IN\s+A\s+10\.3\.0\.1$/m,
      );
      const bigA = lines.filter((line) =>
        /^big\.ns\.svc\.clusterset\.local\.\s+5\s+IN\s+A\s/.test(line),
      );
      assert.equal(bigA.length, BIG_COUNT);
    });

    it("over UDP it is still REFUSED", async () => {
      const reply = await udpExchange(server.port, buildQuery(ZONE, { type: 252 }));
      assert.equal(decode(reply!).header.rcode, RCODE.REFUSED);
    });

    it("AXFR of a name that is not the apex is REFUSED", async () => {
      assert.equal(await tcpRcode(server.port, name("v4svc"), 252), RCODE.REFUSED);
    });
  });

  it("a client outside the list is REFUSED", async () => {
    const server = await startTestServer(specObjects(), ["--allow-transfer", "10.0.0.0/8"]);
    try {
      assert.equal(await tcpRcode(server.port, ZONE, 252), RCODE.REFUSED);
    } finally {
      await server.stop();
    }
  });
});

describe("response-rate limiting (--rrl-rate)", () => {
  it("is off by default: 200 quick queries all get full answers", async () => {
    const server = await startTestServer(specObjects());
    try {
      for (let i = 0; i < 200; i++) {
        const reply = decode((await udpExchange(server.port, buildQuery(name("v4svc"))))!);
        assert.equal(reply.header.tc, 0);
      }
    } finally {
      await server.stop();
    }
  });

  it("over the rate a client gets TC=1 with no records over UDP, and full answers over TCP", async () => {
    const server = await startTestServer(specObjects(), ["--rrl-rate", "20"]);
    try {
      let full = 0;
      let slipped = 0;
      for (let i = 0; i < 100; i++) {
        const reply = decode((await udpExchange(server.port, buildQuery(name("v4svc"))))!);
        if (reply.header.tc === 1) {
          slipped++;
          assert.equal(reply.answers.length, 0);
          assert.equal(reply.questions[0]!.name, name("v4svc"));
        } else full++;
      }
      assert.ok(full >= 20 && full < 60, `${full} full answers`);
      assert.ok(slipped > 40, `${slipped} TC=1 slips`);
      const client = await TcpClient.connect(server.port);
      client.send(buildQuery(name("v4svc")));
      const [tcp] = await client.replies_(1);
      client.close();
      assert.equal(decode(tcp!).answers.length, 1, "TCP is not rate limited");
    } finally {
      await server.stop();
    }
  });
});
