// Record types by name and records as zone-file lines, for the question and answer of `explain`.
// The line format is the one toZoneFile writes (absolute owner, TTL, class, type, data), so a
// line copied from `explain` can be found in `dump` output as it is.

import { RRType, type RecordData, type ResourceRecord } from "../wire/types.js";
import { absoluteName } from "../zone/zonefile.js";

const TYPE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(RRType).map(([name, value]) => [value, name]),
);

/** "A", "SRV", … or RFC 3597 "TYPE666". */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** A type by mnemonic or TYPEnnn, case-insensitive; undefined when unknown. */
export function parseTypeName(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = (RRType as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const match = /^TYPE(\d{1,5})$/.exec(upper);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return value <= 65535 ? value : undefined;
}

function dataText(data: RecordData): string {
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
      return data.strings.map((text) => JSON.stringify(text)).join(" ");
    case RRType.SRV:
      return `${data.priority} ${data.weight} ${data.port} ${absoluteName(data.target)}`;
  }
}

export interface RecordView {
  name: string;
  ttl: number;
  type: string;
  data: string;
  /** The whole zone-file line. */
  text: string;
}

export function recordView(record: ResourceRecord): RecordView {
  const name = absoluteName(record.name);
  const type = typeName(record.data.type);
  const data = dataText(record.data);
  return {
    name,
    ttl: record.ttl,
    type,
    data,
    text: `${name}\t${record.ttl}\tIN\t${type}\t${data}`,
  };
}
