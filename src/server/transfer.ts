// Zone transfer (AXFR, RFC 5936) of a snapshot: the SOA, every other record set, the SOA
// again, in as many TCP messages as it takes. Only over TCP and only to listed clients
// (policy.ts decides); IXFR is answered with the full zone, as RFC 1995 §4 allows.

import { encodeReply } from "../wire/encode.js";
import { RRType, type ResourceRecord } from "../wire/types.js";
import type { Snapshot } from "../zone/snapshot.js";

const MAX_MESSAGE = 65535;
/** Records offered to one encode call; the encoder writes as many whole ones as fit. */
const WINDOW = 4096;
const TC_BIT = 0x02;

/** Every record of the snapshot in transfer order: SOA first and last. */
export function transferRecords(snapshot: Snapshot): ResourceRecord[] {
  const records: ResourceRecord[] = [snapshot.soa];
  for (const node of snapshot.nodes.values()) {
    for (const [type, rrset] of node.rrsets) {
      if (type !== RRType.SOA) records.push(...rrset);
    }
  }
  records.push(snapshot.soa);
  return records;
}

export interface TransferQuery {
  id: number;
  rd: boolean;
  cd: boolean;
  question: { bytes: Uint8Array; nameLower: string };
}

/** The transfer as a list of DNS messages (the question only in the first, as RFC 5936 allows). */
export function encodeTransfer(snapshot: Snapshot, query: TransferQuery): Uint8Array[] {
  const records = transferRecords(snapshot);
  const messages: Uint8Array[] = [];
  let next = 0;
  while (next < records.length) {
    const message = encodeReply({
      id: query.id,
      opcode: 0,
      aa: true,
      rd: query.rd,
      cd: query.cd,
      rcode: 0,
      question: messages.length === 0 ? query.question : undefined,
      answer: records.slice(next, next + WINDOW),
      authority: [],
      additional: [],
      edns: undefined,
      maxSize: MAX_MESSAGE,
    });
    const written = (message[6]! << 8) | message[7]!;
    // A record that fits in no message at all cannot be transferred: stop rather than loop.
    if (written === 0) break;
    // TC in a transfer message would tell the client to retry; every message is complete.
    message[2] = message[2]! & ~TC_BIT;
    messages.push(message);
    next += written;
  }
  return messages;
}
