// Record types by name and records as zone-file lines, for the question and answer of `explain`.
// The line format is the one toZoneFile writes (absolute owner, TTL, class, type, data), so a
// line copied from `explain` can be found in `dump` output as it is.

import { RRType, type ResourceRecord } from "../wire/types.js";
import { absoluteName, rdataText, recordLine, typeName } from "../zone/zonefile.js";

export { typeName };

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
  return { name, ttl: record.ttl, type, data: rdataText(record.data), text: recordLine(record) };
}
