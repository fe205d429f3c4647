// UDP listener on the native batching module (native/udp_batch.c): recvmmsg/sendmmsg, one JS
// call per batch, datagrams read and replies written in place in one long-lived buffer.
// Linux only; anywhere it cannot load, udp.ts uses node:dgram instead.

import { createRequire } from "node:module";
import { ipv6Text } from "../wire/ip.js";
import type { QueryHandler } from "./handler.js";
import type { UdpListener } from "./udp.js";

/** What the compiled module exports (see the contract at the top of native/udp_batch.c). */
interface UdpBatchBinding {
  open(
    family: 4 | 6,
    host: string,
    port: number,
    buffer: ArrayBuffer,
    onBatch: (count: number, unsent: number, errorCode: string | undefined) => void,
  ): UdpBatchHandle;
  port(handle: UdpBatchHandle): number;
  close(handle: UdpBatchHandle): void;
  readonly BATCH: number;
  readonly SLOT: number;
  readonly META: number;
}

declare const handleBrand: unique symbol;
type UdpBatchHandle = { readonly [handleBrand]: true };

/** Where `npm install` (node-gyp) puts the module, from both src/server and dist/server. */
const MODULE_PATH = "../../build/Release/udp_batch.node";

let loaded: { binding?: UdpBatchBinding; reason?: string } | undefined;

/** The native module, or why it is unavailable (said once in the startup log). */
export function loadUdpBatch(): { binding?: UdpBatchBinding; reason?: string } {
  if (loaded !== undefined) return loaded;
  if (process.platform !== "linux") {
    loaded = { reason: `recvmmsg/sendmmsg batching is Linux only (this is ${process.platform})` };
    return loaded;
  }
  try {
    const binding = createRequire(import.meta.url)(MODULE_PATH) as UdpBatchBinding;
    loaded = { binding };
  } catch (error) {
    loaded = {
      reason: `native module not built (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); run "npm rebuild" with python3, make and a C compiler`,
    };
  }
  return loaded;
}

// Meta fields per datagram, as int32 indexes into the meta area (see native/udp_batch.c); the
// source port (index 1) is only read natively, to address the reply and skip port 0.
const LENGTH = 0;
const FAMILY = 2;
const REPLY_LENGTH = 3;
const ADDRESS_BYTE = 16;

/**
 * Most datagrams come from a handful of clients (the cluster's CoreDNS pods): the text of the
 * last sender's address is kept and reused while the next datagram comes from the same one,
 * instead of a new string per query.
 */
class ClientAddresses {
  private readonly last = new Uint8Array(16);
  private lastFamily = 0;
  private lastText = "";

  text(meta: Uint8Array, at: number, family: 4 | 6): string {
    const length = family === 4 ? 4 : 16;
    let same = family === this.lastFamily;
    for (let i = 0; same && i < length; i++) same = meta[at + i] === this.last[i];
    if (same) return this.lastText;
    for (let i = 0; i < length; i++) this.last[i] = meta[at + i]!;
    this.lastFamily = family;
    this.lastText = clientAddress(meta, at, family);
    return this.lastText;
  }
}

/** The sender's address as dgram would give it (inet_ntop form, IPv4 on a dual-stack socket as ::ffff:a.b.c.d). */
function clientAddress(meta: Uint8Array, at: number, family: number): string {
  if (family === 4) return `${meta[at]}.${meta[at + 1]}.${meta[at + 2]}.${meta[at + 3]}`;
  let mapped = meta[at + 10] === 0xff && meta[at + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) mapped = meta[at + i] === 0;
  if (mapped) return `::ffff:${meta[at + 12]}.${meta[at + 13]}.${meta[at + 14]}.${meta[at + 15]}`;
  return ipv6Text(meta.subarray(at, at + 16));
}

export function listenUdpBatch(
  binding: UdpBatchBinding,
  host: string,
  port: number,
  handle: QueryHandler,
  onError: (error: Error) => void,
): UdpListener {
  const { BATCH, SLOT, META } = binding;
  const buffer = new ArrayBuffer(BATCH * (SLOT + META));
  const bytes = new Uint8Array(buffer);
  const metaOffset = BATCH * SLOT;
  const metaBytes = new Uint8Array(buffer, metaOffset);
  const meta = new Int32Array(buffer, metaOffset);
  const metaInts = META / 4;
  const clients = new ClientAddresses();

  const onBatch = (count: number, unsent: number, errorCode: string | undefined): void => {
    if (unsent > 0) {
      // Reported a batch late (the kernel refuses after JS has returned); one line per batch.
      const error: NodeJS.ErrnoException = new Error(
        `${unsent} UDP replies not sent: ${errorCode}`,
      );
      error.code = errorCode;
      onError(error);
    }
    for (let i = 0; i < count; i++) {
      const fields = i * metaInts;
      meta[fields + REPLY_LENGTH] = 0;
      const family = meta[fields + FAMILY] === 6 ? 6 : 4;
      const slot = i * SLOT;
      try {
        const reply = handle(
          bytes.subarray(slot, slot + meta[fields + LENGTH]!),
          "udp",
          family,
          clients.text(metaBytes, i * META + ADDRESS_BYTE, family),
        );
        // A stream (zone transfer) never comes back over UDP: policy only transfers over TCP.
        // The native side sends nothing to source port 0 (RFC 768: no reply possible).
        if (!(reply instanceof Uint8Array)) continue;
        // Cannot happen (UDP replies are at most --udp-max-size), but a longer one would run
        // into the next slot or the meta area.
        if (reply.length > SLOT) throw new RangeError(`UDP reply of ${reply.length} bytes`);
        // The query's bytes are no longer needed: the reply goes over them, and is sent from there.
        bytes.set(reply, slot);
        meta[fields + REPLY_LENGTH] = reply.length;
      } catch (error) {
        // The handler never throws by design; if it does, this datagram goes unanswered and the rest of the batch is still served.
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };

  const family = host.includes(":") ? 6 : 4;
  let socket: UdpBatchHandle | undefined = binding.open(family, host, port, buffer, onBatch);
  const boundPort = binding.port(socket);
  return {
    port: boundPort,
    io: "batch",
    close: () => {
      // Closing twice would reach freed memory on the native side: only the first close goes through.
      if (socket !== undefined) binding.close(socket);
      socket = undefined;
      // The fd is closed in libuv's close phase, after this iteration's setImmediate callbacks;
      // an immediate queued from the next one runs after it, so the port is free on resolve.
      return new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    },
  };
}
