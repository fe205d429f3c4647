// UDP listener: one datagram in, at most one datagram out, synchronously.

import dgram from "node:dgram";
import type { QueryHandler } from "./handler.js";

/** 4 MiB absorbs bursts while the event loop is busy (e.g. during a snapshot rebuild). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpListener {
  readonly port: number;
  close(): Promise<void>;
}

export async function listenUdp(
  host: string,
  port: number,
  handle: QueryHandler,
  onError: (error: Error) => void,
): Promise<UdpListener> {
  const ipv6 = host.includes(":");
  const socket = dgram.createSocket({ type: ipv6 ? "udp6" : "udp4", ipv6Only: false });
  socket.on("message", (packet, remote) => {
    const reply = handle(packet, "udp", remote.family === "IPv6" ? 6 : 4, remote.address);
    // A stream (zone transfer) never comes back over UDP: policy only transfers over TCP.
    if (reply instanceof Uint8Array) socket.send(reply, remote.port, remote.address);
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
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
