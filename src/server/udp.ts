// UDP listener: one datagram in, at most one datagram out, synchronously. Two ways to move the
// datagrams: the native batching module (udp-batch.ts; Linux, built at npm install) or node:dgram.

import dgram from "node:dgram";
import { lookup as dnsLookup, type LookupOneOptions } from "node:dns";
import { isIP } from "node:net";
import type { UdpIo } from "../config.js";
import type { QueryHandler } from "./handler.js";
import { listenUdpBatch, loadUdpBatch } from "./udp-batch.js";

/** 4 MiB absorbs bursts while the event loop is busy (e.g. during a snapshot rebuild). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpListener {
  readonly port: number;
  /** Which I/O moves the datagrams, for the startup log. */
  readonly io: "batch" | "dgram";
  close(): Promise<void>;
}

/** `--udp-io batch` where the native module cannot load: a configuration problem, not a crash. */
export class UdpIoUnavailableError extends Error {}

/** Why `auto` fell back to dgram (undefined when batching is in use or was not asked for). */
export function udpBatchUnavailableReason(io: UdpIo): string | undefined {
  return io === "dgram" ? undefined : loadUdpBatch().reason;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string,
  family: number,
) => void;

/**
 * dgram resolves the destination of every send, even an IP literal, through dns.lookup, which
 * answers a literal on the next tick: one queued callback per reply. Replies always go to the
 * address a datagram came from (a literal), so answer those at once; names still go to dns.
 * (Node 20 passes the socket's family as a number; the typings say options: accept both.)
 */
function literalLookup(
  address: string,
  options: LookupOneOptions | number,
  callback: LookupCallback,
): void {
  const family = isIP(address);
  if (family !== 0) {
    callback(null, address, family);
    return;
  }
  const lookupOptions: LookupOneOptions =
    typeof options === "number" ? { family: options } : options;
  dnsLookup(address, lookupOptions, callback);
}

export async function listenUdp(
  host: string,
  port: number,
  handle: QueryHandler,
  onError: (error: Error) => void,
  io: UdpIo = "auto",
): Promise<UdpListener> {
  if (io !== "dgram") {
    const { binding, reason } = loadUdpBatch();
    if (binding !== undefined) return listenUdpBatch(binding, host, port, handle, onError);
    if (io === "batch") throw new UdpIoUnavailableError(`batch is unavailable: ${reason}`);
  }
  return listenDgram(host, port, handle, onError);
}

async function listenDgram(
  host: string,
  port: number,
  handle: QueryHandler,
  onError: (error: Error) => void,
): Promise<UdpListener> {
  const ipv6 = host.includes(":");
  const socket = dgram.createSocket({
    type: ipv6 ? "udp6" : "udp4",
    ipv6Only: false,
    lookup: literalLookup,
  });
  const onSent = (error: Error | null): void => {
    if (error !== null) onError(error);
  };
  socket.on("message", (packet, remote) => {
    try {
      const reply = handle(packet, "udp", remote.family === "IPv6" ? 6 : 4, remote.address);
      // A stream (zone transfer) never comes back over UDP: policy only transfers over TCP.
      // Source port 0 cannot receive anything (and dgram throws on it): no reply (RFC 768).
      if (!(reply instanceof Uint8Array) || remote.port === 0) return;
      // The reply is sent as is (a cache hit is already a fresh copy): no further copy here.
      // Without a callback dgram drops a refused send (EMSGSIZE, ENOBUFS...) silently.
      socket.send(reply, remote.port, remote.address, onSent);
    } catch (error) {
      // A throw here would end the process; one unanswerable datagram must not.
      onError(error instanceof Error ? error : new Error(String(error)));
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  // A failed send or ICMP error must never end the listener.
  socket.on("error", onError);
  try {
    socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
  } catch {
    // The kernel caps it (net.core.rmem_max); the default still works.
  }
  let closed: Promise<void> | undefined;
  // dgram throws on a second close; closing is idempotent here as in the batch listener.
  const closeOnce = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    port: socket.address().port,
    io: "dgram",
    close: closeOnce,
  };
}
