// TCP listener (RFC 7766): 2-byte length framing, pipelined queries answered in order as they
// complete, an idle timeout, and a cap on connections where the longest-idle connection makes
// room for a new one. Nothing here waits on a client: a client that does not read its replies
// is cut off once too much is queued for it, so it cannot hold memory or stall anyone else.

import net from "node:net";
import type { QueryHandler } from "./handler.js";

export interface TcpOptions {
  idleTimeoutMs: number;
  maxConnections: number;
  /** Bytes of unsent replies one connection may queue before we close it. */
  maxPendingWriteBytes?: number;
}

export interface TcpListener {
  readonly port: number;
  readonly connections: number;
  close(): Promise<void>;
}

interface Connection {
  socket: net.Socket;
  lastActive: number;
}

const LENGTH_PREFIX = 2;

export async function listenTcp(
  host: string,
  port: number,
  handle: QueryHandler,
  options: TcpOptions,
  onError: (error: Error) => void,
): Promise<TcpListener> {
  const maxPending = options.maxPendingWriteBytes ?? 1024 * 1024;
  // Insertion order is activity order: a connection is re-inserted when it becomes active,
  // so the first entry is always the longest idle.
  const open = new Map<net.Socket, Connection>();

  const touch = (connection: Connection): void => {
    connection.lastActive = Date.now();
    open.delete(connection.socket);
    open.set(connection.socket, connection);
  };

  const server = net.createServer({ noDelay: true }, (socket) => {
    if (open.size >= options.maxConnections) {
      const idlest = open.keys().next().value;
      idlest?.destroy();
      if (idlest !== undefined) open.delete(idlest);
    }
    const connection: Connection = { socket, lastActive: Date.now() };
    open.set(socket, connection);
    const family: 4 | 6 = socket.remoteFamily === "IPv6" ? 6 : 4;
    const client = socket.remoteAddress ?? "";
    let pending: Buffer = Buffer.alloc(0);

    socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => open.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      touch(connection);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= LENGTH_PREFIX) {
        const length = pending.readUInt16BE(offset);
        if (pending.length - offset - LENGTH_PREFIX < length) break;
        const message = pending.subarray(offset + LENGTH_PREFIX, offset + LENGTH_PREFIX + length);
        offset += LENGTH_PREFIX + length;
        const reply = handle(message, "tcp", family, client);
        if (reply === undefined) continue;
        if (socket.writableLength > maxPending) {
          socket.destroy();
          return;
        }
        if (reply instanceof Uint8Array) socket.write(frame(reply));
        else for (const part of reply) socket.write(frame(part));
      }
      // Keep only the incomplete tail; copy it so the big chunk it came from can be freed.
      pending = offset === 0 ? pending : Buffer.from(pending.subarray(offset));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, ipv6Only: false }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", onError);

  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : port,
    get connections() {
      return open.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open.keys()) socket.destroy();
        open.clear();
      }),
  };
}

function frame(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(LENGTH_PREFIX + message.length);
  framed.writeUInt16BE(message.length, 0);
  framed.set(message, LENGTH_PREFIX);
  return framed;
}
