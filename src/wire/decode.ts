// Strict, bounds-checked decoding of an incoming query: the server's hot path. Every outcome is a
// value (never an exception), so the policy layer can answer (or drop) anything it is handed.

import {
  DecodeError,
  MAX_NAME_WIRE_LENGTH,
  foldCase,
  lastNameWire,
  readName,
  skipName,
} from "./name.js";
import {
  EdnsOption,
  RRType,
  type Edns,
  type EdnsOptionData,
  type Header,
  type Question,
} from "./types.js";

export type ParsedQuery =
  /** Shorter than a header, or a response (QR=1): never answered. */
  | { kind: "drop"; reason: "short" | "response" }
  /** Opcode other than QUERY (checked before anything past the header). */
  | { kind: "notimp"; header: Header }
  /** `question` holds the question's bytes (as in questionBytes) when it could be read. */
  | { kind: "formerr"; header: Header; question: Uint8Array | undefined; reason: string }
  | {
      kind: "query";
      header: Header;
      question: Question;
      /**
       * Name + type + class exactly as sent, to echo at offset 12: a view into `packet` when the
       * name was not compressed, else a fresh uncompressed re-encoding of it.
       */
      questionBytes: Uint8Array;
      edns: Edns | undefined;
    };

const HEADER_LENGTH = 12;
/** Name (at least the root byte) + type + class + TTL + RDLENGTH. */
const MIN_RECORD_LENGTH = 11;

const DROP_SHORT: ParsedQuery = Object.freeze({ kind: "drop", reason: "short" });
const DROP_RESPONSE: ParsedQuery = Object.freeze({ kind: "drop", reason: "response" });

/** The 12-byte header; the caller ensures the packet holds at least that much. */
export function readHeader(packet: Uint8Array): Header {
  const flags = packet[2]!;
  const flags2 = packet[3]!;
  return {
    id: (packet[0]! << 8) | packet[1]!,
    qr: (flags & 0x80) !== 0,
    opcode: (flags >> 3) & 0x0f,
    aa: (flags & 0x04) !== 0,
    tc: (flags & 0x02) !== 0,
    rd: (flags & 0x01) !== 0,
    ra: (flags2 & 0x80) !== 0,
    z: (flags2 & 0x40) !== 0,
    ad: (flags2 & 0x20) !== 0,
    cd: (flags2 & 0x10) !== 0,
    rcode: flags2 & 0x0f,
    qdcount: (packet[4]! << 8) | packet[5]!,
    ancount: (packet[6]! << 8) | packet[7]!,
    nscount: (packet[8]! << 8) | packet[9]!,
    arcount: (packet[10]! << 8) | packet[11]!,
  };
}

export function parseQuery(packet: Uint8Array): ParsedQuery {
  if (packet.length < HEADER_LENGTH) return DROP_SHORT;
  if ((packet[2]! & 0x80) !== 0) return DROP_RESPONSE;
  const header = readHeader(packet);
  if (header.opcode !== 0) return { kind: "notimp", header };
  if (header.qdcount !== 1) {
    return { kind: "formerr", header, question: undefined, reason: "QDCOUNT is not 1" };
  }
  let question: Question;
  let questionBytes: Uint8Array;
  let pos: number;
  try {
    const name = readName(packet, HEADER_LENGTH);
    if (name.end + 4 > packet.length) throw new DecodeError("question type/class cut short");
    const type = (packet[name.end]! << 8) | packet[name.end + 1]!;
    const qclass = (packet[name.end + 2]! << 8) | packet[name.end + 3]!;
    pos = name.end + 4;
    if (name.compressed) {
      questionBytes = new Uint8Array(name.wireLength + 4);
      questionBytes.set(lastNameWire(name.wireLength));
      questionBytes.set(packet.subarray(name.end, pos), name.wireLength);
    } else {
      questionBytes = packet.subarray(HEADER_LENGTH, pos);
    }
    question = { name: name.text, nameLower: foldCase(name.text), type, class: qclass };
  } catch (err) {
    return { kind: "formerr", header, question: undefined, reason: errorReason(err) };
  }

  const recordsLeft = header.ancount + header.nscount + header.arcount;
  if (recordsLeft * MIN_RECORD_LENGTH > packet.length - pos) {
    return formerr(header, questionBytes, "record counts exceed the message");
  }
  for (let i = header.ancount + header.nscount; i > 0; i--) {
    pos = skipRecord(packet, pos);
    if (pos < 0) return formerr(header, questionBytes, "answer/authority record cut short");
  }

  let edns: Edns | undefined;
  for (let i = header.arcount; i > 0; i--) {
    const nameStart = pos;
    const nameEnd = skipName(packet, pos);
    if (nameEnd < 0 || nameEnd + 10 > packet.length)
      return formerr(header, questionBytes, "additional record cut short");
    const type = (packet[nameEnd]! << 8) | packet[nameEnd + 1]!;
    const rdataStart = nameEnd + 10;
    const rdataEnd = rdataStart + ((packet[nameEnd + 8]! << 8) | packet[nameEnd + 9]!);
    if (rdataEnd > packet.length)
      return formerr(header, questionBytes, "additional record data cut short");
    if (type === RRType.OPT) {
      if (edns !== undefined) return formerr(header, questionBytes, "more than one OPT record");
      if (nameEnd !== nameStart + 1)
        return formerr(header, questionBytes, "OPT owner name is not the root");
      const options = readOptions(packet, rdataStart, rdataEnd);
      if (options === undefined) return formerr(header, questionBytes, "EDNS option cut short");
      const flags = (packet[nameEnd + 6]! << 8) | packet[nameEnd + 7]!;
      edns = {
        udpPayloadSize: (packet[nameEnd + 2]! << 8) | packet[nameEnd + 3]!,
        extendedRcode: packet[nameEnd + 4]!,
        version: packet[nameEnd + 5]!,
        dnssecOk: (flags & 0x8000) !== 0,
        flags,
        options,
      };
    }
    pos = rdataEnd;
  }
  return { kind: "query", header, question, questionBytes, edns };
}

/** Offset past the record at `pos`, or -1 when it does not fit in the packet. */
function skipRecord(packet: Uint8Array, pos: number): number {
  const nameEnd = skipName(packet, pos);
  if (nameEnd < 0 || nameEnd + 10 > packet.length) return -1;
  const end = nameEnd + 10 + ((packet[nameEnd + 8]! << 8) | packet[nameEnd + 9]!);
  return end <= packet.length ? end : -1;
}

/** EDNS options in rdata[start, end) (RFC 6891 §6.1.2), or undefined when one is cut short. */
function readOptions(packet: Uint8Array, start: number, end: number): EdnsOptionData[] | undefined {
  const options: EdnsOptionData[] = [];
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) return undefined;
    const code = (packet[pos]! << 8) | packet[pos + 1]!;
    const dataEnd = pos + 4 + ((packet[pos + 2]! << 8) | packet[pos + 3]!);
    if (dataEnd > end) return undefined;
    options.push({ code, data: packet.subarray(pos + 4, dataEnd) });
    pos = dataEnd;
  }
  return options;
}

function formerr(header: Header, question: Uint8Array, reason: string): ParsedQuery {
  return { kind: "formerr", header, question, reason };
}

function errorReason(err: unknown): string {
  if (err instanceof DecodeError) return err.message;
  // Anything else is a codec bug; still a FORMERR rather than an exception in the server.
  return `undecodable question (${err instanceof Error ? err.message : String(err)})`;
}

/**
 * The fields of a common query that the answer-cache fast path needs, read in place. One
 * instance is reused for every packet (filled by scanCommonQuery), so reading one allocates
 * nothing; the values are valid until the next scan.
 */
export class CommonQuery {
  id = 0;
  rd = false;
  cd = false;
  /** Offset just past the question name (it starts at 12 and holds no compression pointer). */
  nameEnd = 0;
  /** Offset just past QCLASS: packet[12, questionEnd) is the question exactly as sent. */
  questionEnd = 0;
  qtype = 0;
  qclass = 0;
  /** True when the one additional record is an OPT. */
  edns = false;
  udpPayloadSize = 0;
  ednsVersion = 0;
  dnssecOk = false;
  /** The OPT carries an NSID option (RFC 5001). */
  nsid = false;
}

/**
 * Reads the common shape of a query without allocating: QR=0, opcode QUERY, QDCOUNT=1,
 * ANCOUNT=NSCOUNT=0, a question name without compression, and either no additional record or
 * exactly one well-formed OPT with the root as owner. Returns true and fills `out` only when
 * parseQuery would return a "query" with the same header bits, question bytes and EDNS; for
 * anything else (including every FORMERR, NOTIMP or dropped packet) it returns false and the
 * caller takes the full parseQuery path.
 */
export function scanCommonQuery(packet: Uint8Array, out: CommonQuery): boolean {
  const length = packet.length;
  if (length < HEADER_LENGTH) return false;
  const flags = packet[2]!;
  // QR=1 (drop) or a non-zero opcode (NOTIMP): the slow path decides.
  if ((flags & 0xf8) !== 0) return false;
  // QDCOUNT = 1, ANCOUNT = NSCOUNT = 0, ARCOUNT high byte 0.
  if (packet[4] !== 0 || packet[5] !== 1 || packet[6] !== 0 || packet[7] !== 0) return false;
  if (packet[8] !== 0 || packet[9] !== 0 || packet[10] !== 0) return false;
  const arcount = packet[11]!;
  if (arcount > 1) return false;

  // The name: plain labels only, the same limits as readName.
  let pos = HEADER_LENGTH;
  let wireLength = 0;
  for (;;) {
    if (pos >= length) return false;
    const lengthByte = packet[pos]!;
    if (lengthByte === 0) break;
    if (lengthByte > 63) return false; // a pointer or a reserved label type
    wireLength += 1 + lengthByte;
    if (wireLength + 1 > MAX_NAME_WIRE_LENGTH) return false;
    pos += 1 + lengthByte;
  }
  const nameEnd = pos + 1;
  const questionEnd = nameEnd + 4;
  if (questionEnd > length) return false;

  out.edns = false;
  out.udpPayloadSize = 0;
  out.ednsVersion = 0;
  out.dnssecOk = false;
  out.nsid = false;
  if (arcount === 1) {
    // The OPT: root owner (1 byte), type, class, TTL, RDLENGTH, then options.
    if (questionEnd + MIN_RECORD_LENGTH > length || packet[questionEnd] !== 0) return false;
    const fixed = questionEnd + 1;
    if (((packet[fixed]! << 8) | packet[fixed + 1]!) !== RRType.OPT) return false;
    const rdataStart = fixed + 10;
    const rdataEnd = rdataStart + ((packet[fixed + 8]! << 8) | packet[fixed + 9]!);
    if (rdataEnd > length) return false;
    let option = rdataStart;
    let nsid = false;
    while (option < rdataEnd) {
      if (option + 4 > rdataEnd) return false;
      if (((packet[option]! << 8) | packet[option + 1]!) === EdnsOption.NSID) nsid = true;
      option += 4 + ((packet[option + 2]! << 8) | packet[option + 3]!);
      if (option > rdataEnd) return false;
    }
    out.edns = true;
    out.udpPayloadSize = (packet[fixed + 2]! << 8) | packet[fixed + 3]!;
    out.ednsVersion = packet[fixed + 5]!;
    out.dnssecOk = (packet[fixed + 6]! & 0x80) !== 0;
    out.nsid = nsid;
  }

  out.id = (packet[0]! << 8) | packet[1]!;
  out.rd = (flags & 0x01) !== 0;
  out.cd = (packet[3]! & 0x10) !== 0;
  out.nameEnd = nameEnd;
  out.questionEnd = questionEnd;
  out.qtype = (packet[nameEnd]! << 8) | packet[nameEnd + 1]!;
  out.qclass = (packet[nameEnd + 2]! << 8) | packet[nameEnd + 3]!;
  return true;
}
