// Fuzzing the running server (the CLI as a child process, so a crash shows as an exit): tens of
// thousands of mutated datagrams over UDP, a few thousand framed messages and some garbage
// framing over TCP. The process must stay up, answer every datagram of 12+ bytes with QR=0
// (each reply QR=1 with the query's ID), never answer a response or a datagram under 12 bytes,
// log no internal error, and answer a valid query correctly right after.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import net from "node:net";
import { query, TcpClient } from "../support/dns-client.js";
import { name, specObjects } from "../support/spec-fixture.js";
import { metricValue, startServerProcess, type ServerProcess } from "../fuzz/child-server.js";
import { mutate, Prng, seedQueries, toHex } from "../fuzz/mutate.js";

const UDP_INPUTS = Number(process.env.FUZZ_SERVER_UDP ?? "30000");
const TCP_CONNECTIONS = 8;
const TCP_PER_CONNECTION = 300;
const BATCH = 100;

const mustDrop = (bytes: Uint8Array): boolean => bytes.length < 12 || (bytes[2]! & 0x80) !== 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function boundSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  // Replies can be 1232 bytes and a batch is in flight: the default buffer (~200 KiB) overflows.
  try {
    socket.setRecvBufferSize(8 * 1024 * 1024);
  } catch {
    // Capped by net.core.rmem_max; the pacing below keeps the window small anyway.
  }
  return socket;
}

async function assertAnswersCorrectly(server: ServerProcess): Promise<void> {
  for (const transport of ["udp", "tcp"] as const) {
    const reply = await query(server.dnsPort, name("v4svc"), { transport });
    assert.equal(reply.header.rcode, 0, transport);
    assert.deepEqual(
      reply.answers.map((r) => r.address),
      ["10.0.0.1"],
      transport,
    );
  }
}

describe("fuzzing the running server", function () {
  this.timeout(90_000);
  let server: ServerProcess;

  before(async () => {
    server = await startServerProcess(specObjects());
  });
  after(async () => {
    await server.stop();
  });

  it(`UDP: ${UDP_INPUTS} mutated datagrams, every query answered, nothing answered that must be dropped`, async () => {
    const rng = new Prng(0xdada);
    const seeds = seedQueries();
    const answering = await boundSocket();
    const silent = await boundSocket();
    // IDs of the datagrams sent on `answering` that still await a reply (a multiset).
    const awaited = new Map<number, number>();
    const inputsById = new Map<number, string[]>();
    const bad: string[] = [];
    let replies = 0;
    let silentReplies = 0;
    answering.on("message", (reply: Buffer) => {
      replies++;
      const id = reply.length >= 2 ? reply.readUInt16BE(0) : -1;
      const left = awaited.get(id) ?? 0;
      if (reply.length < 12 || (reply[2]! & 0x80) === 0 || left === 0) {
        if (bad.length < 5) bad.push(toHex(reply.subarray(0, 16)));
      } else if (left === 1) awaited.delete(id);
      else awaited.set(id, left - 1);
    });
    silent.on("message", () => silentReplies++);

    let sent = 0;
    let sentSilent = 0;
    const started = performance.now();
    const send = (bytes: Uint8Array) => {
      if (mustDrop(bytes)) {
        silent.send(bytes, server.dnsPort, "127.0.0.1");
        sentSilent++;
        return;
      }
      const id = (bytes[0]! << 8) | bytes[1]!;
      awaited.set(id, (awaited.get(id) ?? 0) + 1);
      if (process.env.FUZZ_DEBUG) inputsById.set(id, [...(inputsById.get(id) ?? []), toHex(bytes)]);
      answering.send(bytes, server.dnsPort, "127.0.0.1");
      sent++;
    };
    // Every short length, and responses made from valid queries, on the silent socket.
    for (let length = 0; length < 12; length++) send(seeds[1]!.subarray(0, length));
    for (const seed of seeds.slice(0, 100)) {
      const response = seed.slice();
      response[2] = response[2]! | 0x80;
      send(response);
    }
    for (let i = 0; i < UDP_INPUTS; i += BATCH) {
      for (let j = 0; j < BATCH; j++) send(mutate(rng, seeds).bytes);
      // Pace: let the replies catch up (loopback has no loss, but socket buffers do overflow).
      const wait = performance.now() + 200;
      while (replies < sent - BATCH && performance.now() < wait) await sleep(1);
    }
    const deadline = performance.now() + 3000;
    while (replies < sent && performance.now() < deadline) await sleep(10);
    await sleep(300);
    const seconds = (performance.now() - started) / 1000;
    answering.close();
    silent.close();
    console.log(
      `      UDP: ${sent} to answer + ${sentSilent} to drop in ${seconds.toFixed(1)} s (${Math.round((sent + sentSilent) / seconds)}/s); ${replies} replies, ${silentReplies} to dropped ones`,
    );

    if (process.env.FUZZ_DEBUG)
      for (const id of [...awaited.keys()].slice(0, 10)) console.log(inputsById.get(id));
    assert.ok(server.alive, "server process died");
    assert.deepEqual(bad, [], "replies with QR=0, under 12 bytes, or an unknown ID");
    assert.equal(silentReplies, 0, "a response or a short datagram was answered");
    assert.equal(replies, sent, `${sent - replies} datagrams got no reply`);
    assert.equal(awaited.size, 0);
    const metrics = await server.http("/metrics");
    assert.equal(
      metricValue(metrics.body, "clusterset_dns_dns_dropped_total", 'proto="udp"'),
      sentSilent,
      "every silent datagram counted as dropped",
    );
    await assertAnswersCorrectly(server);
  });

  it(`TCP: ${TCP_CONNECTIONS}×${TCP_PER_CONNECTION} pipelined mutated messages, each non-response answered`, async () => {
    const rng = new Prng(0x7c9);
    const seeds = seedQueries();
    const results = await Promise.all(
      Array.from({ length: TCP_CONNECTIONS }, async () => {
        const client = await TcpClient.connect(server.dnsPort);
        let expected = 0;
        for (let i = 0; i < TCP_PER_CONNECTION; i++) {
          const bytes = mutate(rng, seeds).bytes.subarray(0, 65535);
          if (!mustDrop(bytes)) expected++;
          client.send(bytes);
        }
        const replies = await client.replies_(expected, 10_000);
        // One more valid query on the same connection: the stream is still in sync.
        client.send(seeds[2]!);
        const [last] = await client.replies_(1, 3000);
        client.close();
        return { expected, replies, last };
      }),
    );
    let total = 0;
    for (const { expected, replies, last } of results) {
      total += expected;
      assert.equal(replies.length, expected, "one reply per non-response message");
      for (const reply of replies) assert.ok(reply.length >= 12 && (reply[2]! & 0x80) !== 0);
      assert.equal(
        last?.readUInt16BE(0),
        (seeds[2]![0]! << 8) | seeds[2]![1]!,
        "valid query after",
      );
    }
    console.log(`      TCP: ${TCP_CONNECTIONS * TCP_PER_CONNECTION} messages, ${total} answered`);
    assert.ok(server.alive, "server process died");
    await assertAnswersCorrectly(server);
  });

  it("TCP: garbage framing (random streams, empty frames, huge prefixes, half prefixes) closes cleanly", async () => {
    const rng = new Prng(99);
    const cases: { label: string; bytes: Uint8Array; usable: boolean }[] = [
      { label: "one byte of a length prefix", bytes: Uint8Array.of(0x01), usable: false },
      {
        label: "prefix 65535 and 100 bytes",
        bytes: Uint8Array.from([0xff, 0xff, ...rng.bytes(100)]),
        usable: false,
      },
      { label: "prefix 0 (empty message)", bytes: Uint8Array.of(0, 0), usable: true },
      { label: "three empty frames", bytes: Uint8Array.of(0, 0, 0, 0, 0, 0), usable: true },
      { label: "frame of 5 bytes", bytes: Uint8Array.of(0, 5, 1, 2, 3, 4, 5), usable: true },
    ];
    for (let i = 0; i < 40; i++)
      cases.push({
        label: `random stream ${i}`,
        bytes: rng.bytes(1 + rng.below(3000)),
        usable: false,
      });

    for (const { label, bytes, usable } of cases) {
      const client = await TcpClient.connect(server.dnsPort);
      client.socket.write(bytes);
      if (usable) {
        // Complete frames that must be dropped (under 12 bytes): the connection stays usable.
        const valid = seedQueries()[2]!;
        client.send(valid);
        const replies = await client.replies_(1, 3000);
        assert.equal(replies.length, 1, label);
        assert.equal(replies[0]!.readUInt16BE(0), (valid[0]! << 8) | valid[1]!, label);
      } else {
        // Whatever the stream parses into is answered or not; the server must not hang on it.
        await client.replies_(1000, 50);
      }
      client.close();
    }
    // Many connections that send half a frame and vanish.
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const socket = net.connect(server.dnsPort, "127.0.0.1");
        socket.on("error", () => undefined);
        await new Promise<void>((resolve) => socket.once("connect", resolve));
        socket.write(Uint8Array.of(0, 40, 1, 2, 3));
        socket.destroy();
      }),
    );
    assert.ok(server.alive, "server process died");
    await assertAnswersCorrectly(server);
  });

  it("logged no internal error while fuzzed", () => {
    const errors = server.lines.filter((line) => line.level === "error" || line.level === "fatal");
    assert.deepEqual(errors, []);
  });
});

/**
 * A UDP datagram with a spoofed source, sent from a raw socket (python3, needs root or
 * CAP_NET_RAW, which pods have by default unless dropped). Returns false when this host cannot.
 */
function sendSpoofed(port: number, sourcePort: number): boolean {
  const script = String.raw`
import socket, struct, sys
port, sport = int(sys.argv[1]), int(sys.argv[2])
q = bytes.fromhex(sys.argv[3])
udp = struct.pack("!HHHH", sport, port, 8 + len(q), 0) + q
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.sendto(udp, ("127.0.0.1", 0))
`;
  const query = toHex(seedQueries()[2]!);
  const result = spawnSync("python3", ["-c", script, String(port), String(sourcePort), query], {
    encoding: "utf8",
    timeout: 5000,
  });
  return result.status === 0;
}

describe("spoofed UDP sources", function () {
  this.timeout(30_000);
  let server: ServerProcess;

  beforeEach(async () => {
    server = await startServerProcess(specObjects());
  });
  afterEach(() => server.stop());

  // BUG (src/server/udp.ts, the "message" handler: `socket.send(reply, remote.port, ...)`):
  // dgram's send throws ERR_SOCKET_BAD_PORT synchronously for port 0, inside the event handler,
  // so one spoofed query with source port 0 kills the process (exit 1). One-line fix: drop the
  // reply when remote.port === 0 (nobody can receive it; RFC 768: port 0 = "no reply").
  it("a query from source port 0 gets no reply and does not kill the server", async function () {
    if (!sendSpoofed(server.dnsPort, 0)) this.skip(); // no raw sockets here (not root, no python3)
    await sleep(500);
    assert.ok(server.alive, `server exited with ${server.child.exitCode}`);
    await assertAnswersCorrectly(server);
  });

  it("a query from source port 65535 is answered (to nobody) and the server lives", async function () {
    if (!sendSpoofed(server.dnsPort, 65535)) this.skip();
    await sleep(300);
    assert.ok(server.alive);
    await assertAnswersCorrectly(server);
  });
});
