// A complete message decoder and a query builder, for tests and debugging tools (not the hot
// path). decodeMessage throws an Error naming the problem on malformed input.

import { readHeader } from "./decode.js";
import { ipv6Text } from "./ip.js";
import { foldCase, nameToWire, readName } from "./name.js";
import {
  RRClass,
  RRType,
  type EdnsOptionData,
  type Header,
  type Question,
  type RecordData,
} from "./types.js";

export interface DecodedOpt {
  type: typeof RRType.OPT;
  udpPayloadSize: number;
  extendedRcode: number;
  version: number;
  /** The 16-bit flags field, DO (0x8000) included. */
  flags: number;
  options: EdnsOptionData[];
}

/** A record of a type this decoder does not interpret: its rdata, verbatim. */
export interface UnknownRecordData {
  type: number;
  rdata: Uint8Array;
}

export type DecodedRecordData = RecordData | DecodedOpt | UnknownRecordData;

export interface DecodedRecord {
  /** Owner name as sent (case kept, weird bytes escaped as in Question.name). */
  name: string;
  /** For OPT: the raw class field (the UDP payload size). */
  class: number;
  /** For OPT: the raw TTL field (extended rcode, version, flags). */
  ttl: number;
  data: DecodedRecordData;
}

export interface DecodedMessage {
  header: Header;
  questions: Question[];
  answer: DecodedRecord[];
  authority: DecodedRecord[];
  additional: DecodedRecord[];
}

const HEADER_LENGTH = 12;
const utf8 = new TextDecoder("utf-8");

export function decodeMessage(packet: Uint8Array): DecodedMessage {
  if (packet.length < HEADER_LENGTH) {
    throw new Error(`message is ${packet.length} bytes, shorter than the 12-byte header`);
  }
  const header = readHeader(packet);
  const reader = { pos: HEADER_LENGTH };
  const questions: Question[] = [];
  for (let i = 0; i < header.qdcount; i++) {
    const name = readName(packet, reader.pos);
    reader.pos = name.end;
    const type = readU16(packet, reader, "question type");
    const qclass = readU16(packet, reader, "question class");
    questions.push({ name: name.text, nameLower: foldCase(name.text), type, class: qclass });
  }
  const section = (count: number, label: string): DecodedRecord[] => {
    const records: DecodedRecord[] = [];
    for (let i = 0; i < count; i++) {
      try {
        records.push(readRecord(packet, reader));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`${label} record ${i}: ${reason}`, { cause: err });
      }
    }
    return records;
  };
  const answer = section(header.ancount, "answer");
  const authority = section(header.nscount, "authority");
  const additional = section(header.arcount, "additional");
  return { header, questions, answer, authority, additional };
}

interface Reader {
  pos: number;
}

function readRecord(packet: Uint8Array, reader: Reader): DecodedRecord {
  const name = readName(packet, reader.pos);
  reader.pos = name.end;
  const type = readU16(packet, reader, "type");
  const rclass = readU16(packet, reader, "class");
  const ttl = readU32(packet, reader, "TTL");
  const rdataLength = readU16(packet, reader, "RDLENGTH");
  const start = reader.pos;
  const end = start + rdataLength;
  if (end > packet.length) throw new Error(`rdata of ${rdataLength} bytes runs past the end`);
  const data = readRecordData(packet, type, rclass, ttl, start, end);
  reader.pos = end;
  return { name: name.text, class: rclass, ttl, data };
}

function readRecordData(
  packet: Uint8Array,
  type: number,
  rclass: number,
  ttl: number,
  start: number,
  end: number,
): DecodedRecordData {
  const length = end - start;
  // Names inside rdata may point anywhere earlier, but their in-place bytes must stay inside it.
  const rdata = packet.subarray(0, end);
  const reader = { pos: start };
  const nameInRdata = (): string => {
    const name = readName(rdata, reader.pos);
    reader.pos = name.end;
    return name.text;
  };
  const expectEnd = (what: string): void => {
    if (reader.pos !== end)
      throw new Error(`${what} rdata is ${length} bytes, used ${reader.pos - start}`);
  };
  switch (type) {
    case RRType.A:
      if (length !== 4) throw new Error(`A rdata is ${length} bytes, expected 4`);
      return { type, address: Array.from(packet.subarray(start, end)).join(".") };
    case RRType.AAAA:
      if (length !== 16) throw new Error(`AAAA rdata is ${length} bytes, expected 16`);
      return { type, address: ipv6Text(packet.subarray(start, end)) };
    case RRType.NS: {
      const host = nameInRdata();
      expectEnd("NS");
      return { type, host };
    }
    case RRType.SOA: {
      const mname = nameInRdata();
      const rname = nameInRdata();
      const serial = readU32(rdata, reader, "SOA serial");
      const refresh = readU32(rdata, reader, "SOA refresh");
      const retry = readU32(rdata, reader, "SOA retry");
      const expire = readU32(rdata, reader, "SOA expire");
      const minimum = readU32(rdata, reader, "SOA minimum");
      expectEnd("SOA");
      return { type, mname, rname, serial, refresh, retry, expire, minimum };
    }
    case RRType.TXT: {
      const strings: string[] = [];
      let pos = start;
      while (pos < end) {
        const stringEnd = pos + 1 + packet[pos]!;
        if (stringEnd > end) throw new Error("TXT character-string runs past its rdata");
        strings.push(utf8.decode(packet.subarray(pos + 1, stringEnd)));
        pos = stringEnd;
      }
      return { type, strings };
    }
    case RRType.SRV: {
      const priority = readU16(rdata, reader, "SRV priority");
      const weight = readU16(rdata, reader, "SRV weight");
      const port = readU16(rdata, reader, "SRV port");
      const target = nameInRdata();
      expectEnd("SRV");
      return { type, priority, weight, port, target };
    }
    case RRType.OPT: {
      const options: EdnsOptionData[] = [];
      let pos = start;
      while (pos < end) {
        if (pos + 4 > end) throw new Error("EDNS option header runs past the OPT rdata");
        const code = (packet[pos]! << 8) | packet[pos + 1]!;
        const dataEnd = pos + 4 + ((packet[pos + 2]! << 8) | packet[pos + 3]!);
        if (dataEnd > end) throw new Error(`EDNS option ${code} runs past the OPT rdata`);
        options.push({ code, data: packet.slice(pos + 4, dataEnd) });
        pos = dataEnd;
      }
      return {
        type,
        udpPayloadSize: rclass,
        extendedRcode: ttl >>> 24,
        version: (ttl >>> 16) & 0xff,
        flags: ttl & 0xffff,
        options,
      };
    }
    default:
      return { type, rdata: packet.slice(start, end) };
  }
}

function readU16(packet: Uint8Array, reader: Reader, what: string): number {
  const pos = reader.pos;
  if (pos + 2 > packet.length) throw new Error(`${what} runs past the end`);
  reader.pos = pos + 2;
  return (packet[pos]! << 8) | packet[pos + 1]!;
}

function readU32(packet: Uint8Array, reader: Reader, what: string): number {
  const pos = reader.pos;
  if (pos + 4 > packet.length) throw new Error(`${what} runs past the end`);
  reader.pos = pos + 4;
  return (
    ((packet[pos]! << 24) >>> 0) +
    ((packet[pos + 1]! << 16) | (packet[pos + 2]! << 8) | packet[pos + 3]!)
  );
}

export interface QueryOptions {
  id: number;
  /** Name text; \DDD and \c escapes allowed, one trailing dot allowed. */
  name: string;
  type: number;
  /** Default IN. */
  class?: number;
  /** Default true, as stub resolvers and dig send. */
  rd?: boolean;
  /** Default false. */
  cd?: boolean;
  /** Default 0 (QUERY); for building NOTIMP test cases. */
  opcode?: number;
  edns?: {
    udpPayloadSize: number;
    dnssecOk?: boolean;
    /** Default 0. */
    version?: number;
    options?: readonly EdnsOptionData[];
    /** The 16-bit flags field; DO is or-ed in when dnssecOk is set. */
    flags?: number;
  };
}

/** A query message; throws on a name that cannot be encoded. */
export function encodeQuery(opts: QueryOptions): Uint8Array {
  const nameWire = nameToWire(opts.name);
  if (nameWire === undefined)
    throw new Error(`not an encodable name: ${JSON.stringify(opts.name)}`);
  const edns = opts.edns;
  const options = edns?.options ?? [];
  let optLength = 0;
  if (edns !== undefined) {
    optLength = 11;
    for (const option of options) optLength += 4 + option.data.length;
  }
  const out = new Uint8Array(HEADER_LENGTH + nameWire.length + 4 + optLength);
  const view = new DataView(out.buffer);
  view.setUint16(0, opts.id & 0xffff);
  out[2] = (((opts.opcode ?? 0) & 0x0f) << 3) | ((opts.rd ?? true) ? 0x01 : 0);
  out[3] = opts.cd === true ? 0x10 : 0;
  view.setUint16(4, 1);
  view.setUint16(10, edns === undefined ? 0 : 1);
  out.set(nameWire, HEADER_LENGTH);
  let pos = HEADER_LENGTH + nameWire.length;
  view.setUint16(pos, opts.type);
  view.setUint16(pos + 2, opts.class ?? RRClass.IN);
  pos += 4;
  if (edns !== undefined) {
    out[pos] = 0;
    view.setUint16(pos + 1, RRType.OPT);
    view.setUint16(pos + 3, edns.udpPayloadSize);
    out[pos + 5] = 0;
    out[pos + 6] = edns.version ?? 0;
    view.setUint16(pos + 7, ((edns.flags ?? 0) | (edns.dnssecOk === true ? 0x8000 : 0)) & 0xffff);
    view.setUint16(pos + 9, optLength - 11);
    pos += 11;
    for (const option of options) {
      view.setUint16(pos, option.code);
      view.setUint16(pos + 2, option.data.length);
      out.set(option.data, pos + 4);
      pos += 4 + option.data.length;
    }
  }
  return out;
}
