// The one function both listeners call per message: policy plus accounting.

import { Rcode } from "../wire/types.js";
import type { Outcome, QueryPolicy, Transport } from "./policy.js";

export type QueryHandler = (
  packet: Uint8Array,
  transport: Transport,
  family: 4 | 6,
) => Uint8Array | undefined;

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
  onInternalError: (error: unknown) => void,
): Outcome {
  try {
    return policy.respond(packet, transport);
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

export function createQueryHandler(
  policy: QueryPolicy,
  observer: QueryObserver | undefined,
  onInternalError: (error: unknown) => void,
): QueryHandler {
  if (observer === undefined) {
    return (packet, transport) => respondSafely(policy, packet, transport, onInternalError).reply;
  }
  return (packet, transport, family) => {
    // performance.now() is a plain double: no BigInt allocated twice per query.
    const started = performance.now();
    const outcome = respondSafely(policy, packet, transport, onInternalError);
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
    return outcome.reply;
  };
}
