// Encoding of replies into one preallocated buffer, with name compression and a byte budget
// (truncation rules of spec §4). Never throws: a record that cannot be encoded (bad address,
// bad name, oversized data) is left out rather than written wrong.

import { writeIPv4, writeIPv6 } from "./ip.js";
import { NameCompressor, WRITE_INVALID, WRITE_OVERFLOW } from "./name.js";
import { RRType, type EdnsOptionData, type ResourceRecord } from "./types.js";

export interface ReplyMessage {
  id: number;
  opcode: number;
  aa: boolean;
  tc?: boolean;
  rd: boolean;
  cd: boolean;
  /** 0..4095; bits above the low 4 go to the OPT extended rcode (lost without EDNS). */
  rcode: number;
  /** Echoed verbatim at offset 12 (QDCOUNT=1), or none (QDCOUNT=0). */
  question: { bytes: Uint8Array; nameLower: string } | undefined;
  answer: readonly ResourceRecord[];
  authority: readonly ResourceRecord[];
  additional: readonly ResourceRecord[];
  /** OPT written last in the additional section, version 0, flags = DO only. */
  edns:
    { udpPayloadSize: number; dnssecOk: boolean; options: readonly EdnsOptionData[] } | undefined;
  /** Byte budget, 512..65535 (clamped). */
  maxSize: number;
}

const HEADER_LENGTH = 12;
const QUESTION_POINTER = 0xc000 | HEADER_LENGTH;
/** Root name + type + class + TTL + RDLENGTH. */
const OPT_FIXED_LENGTH = 11;
const MIN_MESSAGE_SIZE = 512;
const MAX_MESSAGE_SIZE = 65535;
const MAX_CHARACTER_STRING = 255;
const MAX_QUESTION_LENGTH = 255 + 4;

const scratch = new Uint8Array(MAX_MESSAGE_SIZE);
const compressor = new NameCompressor();
const textEncoder = new TextEncoder();

export function encodeReply(message: ReplyMessage): Uint8Array {
  compressor.reset();
  const maxSize = Math.min(Math.max(message.maxSize | 0, MIN_MESSAGE_SIZE), MAX_MESSAGE_SIZE);
  // A question longer than any valid one (255 + 4 bytes) cannot come from parseQuery; leave it out
  // rather than overrun the budget.
  const question =
    message.question !== undefined && message.question.bytes.length <= MAX_QUESTION_LENGTH
      ? message.question
      : undefined;
  const questionLength = question === undefined ? 0 : question.bytes.length;
  let options = message.edns?.options ?? [];
  let optLength = message.edns === undefined ? 0 : OPT_FIXED_LENGTH + optionsLength(options);
  if (HEADER_LENGTH + questionLength + optLength > maxSize) {
    // Only absurd options can do this (a question is at most 259 bytes); keep the OPT itself.
    options = [];
    optLength = message.edns === undefined ? 0 : OPT_FIXED_LENGTH;
  }
  // The OPT record's room is reserved up front: it is never the thing that gets cut.
  const limit = maxSize - optLength;

  let pos = HEADER_LENGTH;
  if (question !== undefined) {
    scratch.set(question.bytes, pos);
    pos += questionLength;
  }
  const questionLower = question?.nameLower;

  let truncated = message.tc === true;
  const answer = writeSection(message.answer, pos, limit, questionLower);
  pos = answer.end;
  let authorityCount = 0;
  let additionalCount = 0;
  if (answer.complete) {
    const authority = writeSection(message.authority, pos, limit, undefined);
    pos = authority.end;
    authorityCount = authority.count;
    if (authority.complete) {
      const mark = compressor.mark();
      const additional = writeSection(message.additional, pos, limit, undefined);
      if (additional.complete) {
        pos = additional.end;
        additionalCount = additional.count;
      } else {
        // The additional section goes whole or not at all; no TC for leaving it out.
        compressor.rollback(mark);
      }
    } else {
      truncated = true;
    }
  } else {
    truncated = true;
  }

  if (message.edns !== undefined) {
    pos = writeOpt(pos, message.edns.udpPayloadSize, message.rcode, message.edns.dnssecOk, options);
    additionalCount++;
  }

  writeHeader(message, truncated, question === undefined ? 0 : 1, answer.count, authorityCount);
  scratch[10] = additionalCount >> 8;
  scratch[11] = additionalCount & 0xff;
  return scratch.slice(0, pos);
}

interface SectionResult {
  end: number;
  count: number;
  /** False when a record did not fit; the section holds the whole records before it. */
  complete: boolean;
}

/** Owners equal to `questionLower` become a pointer to the question (and take its spelling). */
function writeSection(
  records: readonly ResourceRecord[],
  start: number,
  limit: number,
  questionLower: string | undefined,
): SectionResult {
  let pos = start;
  let count = 0;
  for (const record of records) {
    const mark = compressor.mark();
    const end = writeRecord(record, pos, limit, questionLower);
    if (end >= 0) {
      pos = end;
      count++;
      continue;
    }
    compressor.rollback(mark);
    if (end === WRITE_OVERFLOW) return { end: pos, count, complete: false };
    // WRITE_INVALID: the record is left out, the rest still go.
  }
  return { end: pos, count, complete: true };
}

function writeRecord(
  record: ResourceRecord,
  start: number,
  limit: number,
  questionLower: string | undefined,
): number {
  let pos: number;
  if (questionLower !== undefined && sameNameIgnoringCase(record.name, questionLower)) {
    if (start + 2 > limit) return WRITE_OVERFLOW;
    scratch[start] = QUESTION_POINTER >> 8;
    scratch[start + 1] = QUESTION_POINTER & 0xff;
    pos = start + 2;
  } else {
    pos = compressor.write(scratch, start, limit, record.name, true, true);
    if (pos < 0) return pos;
  }
  if (pos + 10 > limit) return WRITE_OVERFLOW;
  const data = record.data;
  writeU16(pos, data.type);
  writeU16(pos + 2, record.class);
  writeU32(pos + 4, record.ttl);
  const rdataStart = pos + 10;
  pos = rdataStart;
  switch (data.type) {
    case RRType.A:
      if (pos + 4 > limit) return WRITE_OVERFLOW;
      if (!writeIPv4(data.address, scratch, pos)) return WRITE_INVALID;
      pos += 4;
      break;
    case RRType.AAAA:
      if (pos + 16 > limit) return WRITE_OVERFLOW;
      if (!writeIPv6(data.address, scratch, pos)) return WRITE_INVALID;
      pos += 16;
      break;
    case RRType.NS:
      pos = compressor.write(scratch, pos, limit, data.host, true, true);
      break;
    case RRType.SOA:
      pos = compressor.write(scratch, pos, limit, data.mname, true, true);
      if (pos >= 0) pos = compressor.write(scratch, pos, limit, data.rname, true, true);
      if (pos < 0) break;
      if (pos + 20 > limit) return WRITE_OVERFLOW;
      writeU32(pos, data.serial);
      writeU32(pos + 4, data.refresh);
      writeU32(pos + 8, data.retry);
      writeU32(pos + 12, data.expire);
      writeU32(pos + 16, data.minimum);
      pos += 20;
      break;
    case RRType.TXT:
      pos = writeTxt(data.strings, pos, limit);
      break;
    case RRType.SRV:
      if (pos + 6 > limit) return WRITE_OVERFLOW;
      writeU16(pos, data.priority);
      writeU16(pos + 2, data.weight);
      writeU16(pos + 4, data.port);
      // RFC 2782 / 3597 §4: the target is never compressed. It may still serve as a pointer
      // target for later owner names (the additional A/AAAA of that target).
      pos = compressor.write(scratch, pos + 6, limit, data.target, false, true);
      break;
    default:
      return WRITE_INVALID;
  }
  if (pos < 0) return pos;
  const rdataLength = pos - rdataStart;
  if (rdataLength > 0xffff) return WRITE_INVALID;
  writeU16(rdataStart - 2, rdataLength);
  return pos;
}

/** Character-strings of at most 255 bytes each (UTF-8); longer strings are split. */
function writeTxt(strings: readonly string[], start: number, limit: number): number {
  let pos = start;
  // TXT rdata holds at least one character-string.
  if (strings.length === 0) {
    if (pos + 1 > limit) return WRITE_OVERFLOW;
    scratch[pos++] = 0;
    return pos;
  }
  for (const text of strings) {
    const bytes = textEncoder.encode(text);
    let offset = 0;
    do {
      const chunk = Math.min(bytes.length - offset, MAX_CHARACTER_STRING);
      if (pos + 1 + chunk > limit) return WRITE_OVERFLOW;
      scratch[pos++] = chunk;
      scratch.set(bytes.subarray(offset, offset + chunk), pos);
      pos += chunk;
      offset += chunk;
    } while (offset < bytes.length);
  }
  return pos;
}

function writeOpt(
  start: number,
  udpPayloadSize: number,
  rcode: number,
  dnssecOk: boolean,
  options: readonly EdnsOptionData[],
): number {
  let pos = start;
  scratch[pos++] = 0;
  writeU16(pos, RRType.OPT);
  writeU16(pos + 2, udpPayloadSize);
  scratch[pos + 4] = (rcode >> 4) & 0xff;
  scratch[pos + 5] = 0;
  scratch[pos + 6] = dnssecOk ? 0x80 : 0;
  scratch[pos + 7] = 0;
  writeU16(pos + 8, optionsLength(options));
  pos += 10;
  for (const option of options) {
    writeU16(pos, option.code);
    writeU16(pos + 2, option.data.length);
    scratch.set(option.data, pos + 4);
    pos += 4 + option.data.length;
  }
  return pos;
}

function optionsLength(options: readonly EdnsOptionData[]): number {
  let length = 0;
  for (const option of options) length += 4 + option.data.length;
  return length;
}

function writeHeader(
  message: ReplyMessage,
  truncated: boolean,
  qdcount: number,
  ancount: number,
  nscount: number,
): void {
  writeU16(0, message.id);
  // QR=1 always; RA, Z and AD stay clear: we neither recurse nor sign.
  scratch[2] =
    0x80 |
    ((message.opcode & 0x0f) << 3) |
    (message.aa ? 0x04 : 0) |
    (truncated ? 0x02 : 0) |
    (message.rd ? 0x01 : 0);
  scratch[3] = (message.cd ? 0x10 : 0) | (message.rcode & 0x0f);
  writeU16(4, qdcount);
  writeU16(6, ancount);
  writeU16(8, nscount);
}

/** Case-insensitive equality for a zone name against an already folded question name. */
function sameNameIgnoringCase(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  return name === lower || name.toLowerCase() === lower;
}

function writeU16(pos: number, value: number): void {
  scratch[pos] = (value >> 8) & 0xff;
  scratch[pos + 1] = value & 0xff;
}

function writeU32(pos: number, value: number): void {
  scratch[pos] = (value >>> 24) & 0xff;
  scratch[pos + 1] = (value >>> 16) & 0xff;
  scratch[pos + 2] = (value >>> 8) & 0xff;
  scratch[pos + 3] = value & 0xff;
}
