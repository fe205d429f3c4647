// The two UDP I/Os (native recvmmsg/sendmmsg batches and node:dgram) move the same bytes to and
// from the same handler: what the handler sees (bytes, family, client address) and what the
// client gets back must not depend on which one is in use.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import dgram from "node:dgram";
import type { QueryHandler } from "../../../src/server/handler.js";
import { listenUdp, type UdpListener } from "../../../src/server/udp.js";
import { loadUdpBatch } from "../../../src/server/udp-batch.js";

interface Seen {
  bytes: number;
  digest: string;
  family: 4 | 6;
  client: string;
}

/** A handler that records what it saw and answers "R" + the query, or as `behaviour` says. */
function recordingHandler(behaviour: (packet: Uint8Array) => "echo" | "none" | "stream" | "throw") {
  const seen: Seen[] = [];
  const handler: QueryHandler = (packet, _transport, family, client) => {
    seen.push({
      bytes: packet.length,
      digest: createHash("sha1").update(packet).digest("hex"),
      family,
      client,
    });
    switch (behaviour(packet)) {
      case "none":
        return undefined;
      case "stream":
        return [Uint8Array.of(1), Uint8Array.of(2)];
      case "throw":
        throw new Error("handler bug");
      default: {
        const reply = new Uint8Array(packet.length + 1);
        reply[0] = 0x52;
        reply.set(packet, 1);
        return reply;
      }
    }
  };
  return { seen, handler };
}

async function client(type: "udp4" | "udp6"): Promise<dgram.Socket> {
  // Server and clients share this process's event loop: a burst of replies must fit in the
  // client's receive buffer until the loop gets to read it.
  const socket = dgram.createSocket({ type, recvBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((resolve) =>
    socket.bind(0, type === "udp4" ? "127.0.0.1" : "::1", resolve),
  );
  return socket;
}

/** Sends each payload and collects replies until `expected` arrived or `ms` passed. */
async function exchange(
  socket: dgram.Socket,
  port: number,
  host: string,
  payloads: Uint8Array[],
  expected: number,
  ms = 2000,
): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off("message", onMessage);
      resolve(replies);
    };
    const onMessage = (message: Buffer): void => {
      replies.push(message);
      if (replies.length >= expected) done();
    };
    const timer = setTimeout(done, ms);
    socket.on("message", onMessage);
    for (const payload of payloads) socket.send(payload, port, host);
  });
}

const tagged = (n: number, size = 16): Uint8Array => {
  const payload = new Uint8Array(size);
  new DataView(payload.buffer).setUint32(0, n);
  return payload;
};

const IOS = ["batch", "dgram"] as const;

describe("UDP I/O: native batching and node:dgram behave the same", function () {
  this.timeout(20_000);
  const errors: Error[] = [];
  const onError = (error: Error): void => {
    errors.push(error);
  };
  const listeners: UdpListener[] = [];
  const open = async (io: (typeof IOS)[number], host: string, handler: QueryHandler) => {
    const listener = await listenUdp(host, 0, handler, onError, io);
    listeners.push(listener);
    return listener;
  };
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
    errors.length = 0;
  });

  it("the native module is built on Linux (npm install runs node-gyp)", function () {
    if (process.platform !== "linux") this.skip();
    assert.equal(loadUdpBatch().reason, undefined);
  });

  for (const host of ["127.0.0.1", "::1", "::"]) {
    it(`same bytes, family and client address through both, listening on ${host}`, async () => {
      const results: Record<string, { seen: Seen[]; replies: string[] }> = {};
      for (const io of IOS) {
        const { seen, handler } = recordingHandler(() => "echo");
        const listener = await open(io, host, handler);
        assert.equal(listener.io, io);
        const senders =
          host === "127.0.0.1" ? ["udp4"] : host === "::1" ? ["udp6"] : ["udp4", "udp6"];
        const replies: string[] = [];
        for (const type of senders as ("udp4" | "udp6")[]) {
          const socket = await client(type);
          const to = type === "udp4" ? "127.0.0.1" : "::1";
          const payloads = [tagged(1), tagged(2, 300), tagged(3, 4096)];
          const got = await exchange(socket, listener.port, to, payloads, payloads.length);
          replies.push(...got.map((reply) => reply.toString("hex")).sort());
          socket.close();
        }
        assert.equal(replies.length, senders.length * 3, `${io}: every datagram answered`);
        results[io] = { seen, replies };
      }
      assert.deepEqual(results.batch!.seen, results.dgram!.seen);
      assert.deepEqual(results.batch!.replies, results.dgram!.replies);
      assert.deepEqual(errors, []);
    });
  }

  for (const io of IOS) {
    it(`${io}: no reply for undefined or a stream; a throwing handler costs only its own datagram`, async () => {
      const { seen, handler } = recordingHandler((packet) => {
        const n = new DataView(packet.buffer, packet.byteOffset).getUint32(0);
        return n % 4 === 1 ? "none" : n % 4 === 2 ? "stream" : n % 4 === 3 ? "throw" : "echo";
      });
      const listener = await open(io, "127.0.0.1", handler);
      const socket = await client("udp4");
      const payloads = Array.from({ length: 40 }, (_, n) => tagged(n));
      const replies = await exchange(socket, listener.port, "127.0.0.1", payloads, 10, 1000);
      socket.close();
      assert.equal(seen.length, 40);
      const answered = replies.map((reply) => reply.readUInt32BE(1)).sort((a, b) => a - b);
      assert.deepEqual(
        answered,
        payloads.map((_, n) => n).filter((n) => n % 4 === 0),
      );
      assert.equal(errors.length, 10);
      assert.match(errors[0]!.message, /handler bug/);
    });

    it(`${io}: a burst of 2,000 datagrams from 4 sockets is answered one to one`, async () => {
      const { handler } = recordingHandler(() => "echo");
      const listener = await open(io, "127.0.0.1", handler);
      const sockets = await Promise.all([0, 1, 2, 3].map(() => client("udp4")));
      const results = await Promise.all(
        sockets.map((socket, s) =>
          exchange(
            socket,
            listener.port,
            "127.0.0.1",
            Array.from({ length: 500 }, (_, n) => tagged(s * 1000 + n, 40)),
            500,
            5000,
          ),
        ),
      );
      sockets.forEach((socket) => socket.close());
      results.forEach((replies, s) => {
        const ids = new Set(replies.map((reply) => reply.readUInt32BE(1)));
        assert.equal(ids.size, 500, `socket ${s}: ${ids.size} of 500 answered`);
        for (const id of ids)
          assert.equal(Math.floor(id / 1000), s, "a reply went to the wrong socket");
      });
    });

    it(`${io}: a 65,000-byte datagram arrives whole`, async () => {
      const { seen, handler } = recordingHandler(() => "none");
      const listener = await open(io, "127.0.0.1", handler);
      const socket = await client("udp4");
      const big = new Uint8Array(65000).map((_, i) => i * 7);
      await exchange(socket, listener.port, "127.0.0.1", [big], 1, 300);
      socket.close();
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.bytes, 65000);
      assert.equal(seen[0]!.digest, createHash("sha1").update(big).digest("hex"));
    });

    it(`${io}: a reply the kernel refuses (EMSGSIZE) goes to onError; the next one is sent`, async () => {
      const { handler } = recordingHandler(() => "echo");
      const listener = await open(io, "127.0.0.1", handler);
      const socket = await client("udp4");
      // 65,507 bytes is the largest IPv4 UDP payload: its echo (one byte longer) cannot be sent.
      await exchange(socket, listener.port, "127.0.0.1", [new Uint8Array(65507)], 1, 300);
      // The batch listener reports a refusal with the next batch: send one more.
      const replies = await exchange(socket, listener.port, "127.0.0.1", [tagged(7)], 1, 1000);
      socket.close();
      assert.equal(replies.length, 1);
      assert.equal(replies[0]!.readUInt32BE(1), 7);
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as NodeJS.ErrnoException).code, "EMSGSIZE");
    });

    it(`${io}: close frees the port at once and is idempotent`, async () => {
      const { handler } = recordingHandler(() => "echo");
      const first = await listenUdp("127.0.0.1", 0, handler, onError, io);
      const port = first.port;
      await first.close();
      await first.close();
      const second = await listenUdp("127.0.0.1", port, handler, onError, io);
      listeners.push(second);
      assert.equal(second.port, port);
      assert.notEqual(
        await listenUdp("127.0.0.1", port, handler, onError, io).then(
          (third) => third.close().then(() => "bound"),
          (error: NodeJS.ErrnoException) => error.code,
        ),
        "bound",
      );
    });
  }

  it("a port in use is EADDRINUSE through both (listen.ts retries on it)", async () => {
    const { handler } = recordingHandler(() => "echo");
    const taken = await open("dgram", "127.0.0.1", handler);
    for (const io of IOS) {
      await assert.rejects(listenUdp("127.0.0.1", taken.port, handler, onError, io), {
        code: "EADDRINUSE",
      });
    }
  });
});
