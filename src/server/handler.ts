// The one function both listeners call per message: policy, rate limiting and accounting.

import { Rcode } from "../wire/types.js";
import type { Outcome, QueryPolicy, Transport } from "./policy.js";
import { truncatedReply, type ResponseRateLimiter } from "./rrl.js";

/**
 * One message in, what to send back: nothing, one message, or (a zone transfer over TCP)
 * several in order.
 */
export type QueryHandler = (
  packet: Uint8Array,
  transport: Transport,
  family: 4 | 6,
  client: string,
) => Uint8Array | Uint8Array[] | undefined;

export interface QueryObserver {
  observeQuery(
    proto: Transport,
    family: 4 | 6,
    qtype: number,
    rcode: number,
    requestBytes: number,
    responseBytes: number,
    durationSeconds: number,
  ): void;
  dropped(proto: Transport, reason: string): void;
}

/**
 * Policy is written not to throw; if a bug makes it throw anyway, the client still gets one
 * reply (SERVFAIL, header only) instead of silence, and the listener lives on.
 */
function respondSafely(
  policy: QueryPolicy,
  packet: Uint8Array,
  transport: Transport,
  client: string,
  onInternalError: (error: unknown) => void,
): Outcome {
  try {
    return policy.respond(packet, transport, client);
  } catch (error) {
    onInternalError(error);
    if (packet.length < 12) return { reply: undefined, rcode: -1, qtype: 0 };
    const reply = new Uint8Array(12);
    reply[0] = packet[0]!;
    reply[1] = packet[1]!;
    reply[2] = 0x80 | (packet[2]! & 0x79); // QR, opcode and RD as sent
    reply[3] = Rcode.SERVFAIL;
    return { reply, rcode: Rcode.SERVFAIL, qtype: 0 };
  }
}

export interface HandlerOptions {
  observer?: QueryObserver | undefined;
  /** UDP response-rate limiting; undefined = off. */
  rateLimiter?: ResponseRateLimiter | undefined;
  onInternalError: (error: unknown) => void;
}

/** What goes on the wire for an outcome: RRL may replace a UDP reply with its TC=1 slip. */
function toSend(
  outcome: Outcome,
  transport: Transport,
  client: string,
  rateLimiter: ResponseRateLimiter | undefined,
): Uint8Array | Uint8Array[] | undefined {
  if (outcome.stream !== undefined) return outcome.stream;
  const reply = outcome.reply;
  if (reply === undefined || rateLimiter === undefined || transport !== "udp") return reply;
  return rateLimiter.allow(client) ? reply : truncatedReply(reply);
}

export function createQueryHandler(policy: QueryPolicy, options: HandlerOptions): QueryHandler {
  const { observer, rateLimiter, onInternalError } = options;
  if (observer === undefined) {
    return (packet, transport, _family, client) =>
      toSend(
        respondSafely(policy, packet, transport, client, onInternalError),
        transport,
        client,
        rateLimiter,
      );
  }
  return (packet, transport, family, client) => {
    // performance.now() is a plain double: no BigInt allocated twice per query.
    const started = performance.now();
    const outcome = respondSafely(policy, packet, transport, client, onInternalError);
    const seconds = (performance.now() - started) / 1e3;
    if (outcome.dropReason !== undefined) observer.dropped(transport, outcome.dropReason);
    observer.observeQuery(
      transport,
      family,
      outcome.qtype,
      outcome.rcode,
      packet.length,
      outcome.reply?.length ?? 0,
      seconds,
    );
    return toSend(outcome, transport, client, rateLimiter);
  };
}
