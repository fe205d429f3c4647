// A snapshot as an RFC 1035 §5 master file: $ORIGIN and $TTL, the SOA first, then every record
// with its absolute owner name and an explicit TTL and class. Pure, so a benchmark can hand NSD
// exactly the records we serve and a `dump` command can show an operator what is being served.
// Empty non-terminals have no records and so no lines: a master-file reader derives them from
// the names below them, as we do.

import { RRClass, RRType, type RecordData, type ResourceRecord } from "../wire/types.js";
import type { Snapshot } from "./snapshot.js";

const utf8 = new TextEncoder();

const CLASS_NAMES: ReadonlyMap<number, string> = new Map([
  [RRClass.IN, "IN"],
  [RRClass.CH, "CH"],
]);

// Bytes that mean something in master-file syntax (RFC 1035 §5.1) and must be escaped in a label.
const SPECIAL_IN_LABEL = new Set([0x2e, 0x3b, 0x28, 0x29, 0x22, 0x5c, 0x40, 0x24, 0x20]);

function decimalEscape(byte: number): string {
  return `\\${byte.toString().padStart(3, "0")}`;
}

/** One label in presentation form: printable ASCII as is, specials backslash-escaped, the rest \DDD. */
function presentLabel(label: string): string {
  let out = "";
  for (const byte of utf8.encode(label)) {
    if (byte <= 0x20 || byte >= 0x7f) out += decimalEscape(byte);
    else if (SPECIAL_IN_LABEL.has(byte)) out += `\\${String.fromCharCode(byte)}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

/** A name in our form ("a.b", root "") as an absolute master-file name ("a.b.", root "."). */
export function absoluteName(name: string): string {
  if (name === "") return ".";
  return `${name.split(".").map(presentLabel).join(".")}.`;
}

/** A <character-string> in quotes: `"` and `\` escaped, bytes outside printable ASCII as \DDD. */
function quoted(text: string): string {
  let out = '"';
  for (const byte of utf8.encode(text)) {
    if (byte < 0x20 || byte >= 0x7f) out += decimalEscape(byte);
    else if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

/** The RDATA of a record in master-file presentation (names absolute, strings quoted). */
export function rdataText(data: RecordData): string {
  switch (data.type) {
    case RRType.A:
    case RRType.AAAA:
      return data.address;
    case RRType.NS:
      return absoluteName(data.host);
    case RRType.SOA:
      return (
        `${absoluteName(data.mname)} ${absoluteName(data.rname)} ` +
        `${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`
      );
    case RRType.TXT:
      return data.strings.map(quoted).join(" ");
    case RRType.SRV:
      return `${data.priority} ${data.weight} ${data.port} ${absoluteName(data.target)}`;
  }
}

const TYPE_MNEMONICS: ReadonlyMap<number, string> = new Map(
  Object.entries(RRType).map(([name, value]) => [value, name]),
);

/** "A", "SRV", … or RFC 3597 "TYPE666". */
export function typeName(type: number): string {
  return TYPE_MNEMONICS.get(type) ?? `TYPE${type}`;
}

/** One master-file line: absolute owner, TTL, class, type, data, tab-separated. */
export function recordLine(record: ResourceRecord): string {
  const klass = CLASS_NAMES.get(record.class) ?? `CLASS${record.class}`;
  const type = typeName(record.data.type);
  return `${absoluteName(record.name)}\t${record.ttl}\t${klass}\t${type}\t${rdataText(record.data)}`;
}

/** The snapshot's zone as master-file text, SOA first, one record per line, ending in a newline. */
export function toZoneFile(snapshot: Snapshot): string {
  const lines = [
    `; ${absoluteName(snapshot.zone)} serial ${snapshot.serial}, generation ${snapshot.generation}`,
    `$ORIGIN ${absoluteName(snapshot.zone)}`,
    `$TTL ${snapshot.ttl}`,
    recordLine(snapshot.soa),
  ];
  for (const node of snapshot.nodes.values()) {
    for (const [type, records] of node.rrsets) {
      if (type === RRType.SOA) continue;
      for (const record of records) lines.push(recordLine(record));
    }
  }
  lines.push("");
  return lines.join("\n");
}
