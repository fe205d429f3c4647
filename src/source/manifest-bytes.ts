// A manifest file's bytes → plain objects. The file is cut into its units (YAML documents,
// JSON List items, top-level JSON array elements and other objects; see UnitMemo) on the bytes
// themselves, so that a unit the memo knows is neither decoded nor parsed: re-reading a 57 MB
// List after one item changed then costs a byte scan and a digest of each item's bytes.
// Through the text path, decoding the file and hashing each item's text took about 0.3 s more.
//
// This is a shortcut, not a second parser. On anything it does not take in stride (a syntax
// error, a value that is not a manifest, a file starting with a non-ASCII space) it gives up,
// and manifest.ts reads the file's text from the start, with the same results and the error
// messages it always gave.

import {
  ParseError,
  Units,
  isListKind,
  listContext,
  parseManifestTextAsync,
  readYamlDocument,
  type ManifestParse,
  type UnitMemo,
} from "./manifest.js";

/**
 * parseManifestTextAsync for the bytes of a file (UTF-8, as the text path would decode it):
 * the same result, cheaper when `memo` knows most of the file's units.
 */
export async function parseManifestAsync<T>(
  bytes: Buffer,
  fileName: string,
  sliceMs: number,
  convert: (raw: unknown) => T,
  memo?: UnitMemo<T>,
): Promise<ManifestParse<T>> {
  const objects: T[] = [];
  if (await readBytes(bytes, new Units(objects, convert, memo), sliceMs))
    return { objects, errors: [] };
  return parseManifestTextAsync(bytes.toString("utf8"), fileName, sliceMs, convert, memo);
}

/** Thrown inside the byte reader to hand the file to the text path; never escapes this module. */
class GiveUp extends Error {}

const giveUp = new GiveUp();

interface ByteUnit {
  start: number;
  end: number;
  context: string;
  /** Its value; throws giveUp when it does not parse. */
  read: (unit: Buffer) => unknown;
}

/** True when every unit of the file was read (into `units`); false to leave it to the text path. */
async function readBytes<T>(bytes: Buffer, units: Units<T>, sliceMs: number): Promise<boolean> {
  let deadline = performance.now() + sliceMs;
  try {
    for (const unit of byteUnits(bytes)) {
      if (unit !== undefined) {
        const problem = units.add(unit.context, bytes.subarray(unit.start, unit.end), unit.read);
        if (problem !== undefined) return false;
      }
      if (performance.now() < deadline) continue;
      await new Promise((resolve) => setImmediate(resolve));
      deadline = performance.now() + sliceMs;
    }
    return true;
  } catch (error) {
    if (error === giveUp) return false;
    throw error;
  }
}

function parseBytes(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    throw giveUp;
  }
}

function readYamlBytes(bytes: Buffer): unknown {
  try {
    return readYamlDocument(bytes.toString("utf8"));
  } catch (error) {
    if (error instanceof ParseError) throw giveUp;
    throw error;
  }
}

/** As manifest.ts reads a List's item: flattened inside the List, without its other items. */
function listItemReader(list: Record<string, unknown>): (unit: Buffer) => unknown {
  return (unit) => {
    list["items"] = [parseBytes(unit)];
    return list;
  };
}

/** ASCII whitespace to the text path's /\S/ test for JSON: tab, LF, VT, FF, CR, space. */
function isAsciiSpace(code: number | undefined): boolean {
  return code === 0x20 || (code !== undefined && code >= 0x09 && code <= 0x0d);
}

/** The units of the file, JSON or YAML as the text path would take it (see jsonUnits). */
function* byteUnits(bytes: Buffer): Generator<ByteUnit | undefined> {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let first = start;
  while (isAsciiSpace(bytes[first])) first++;
  const code = bytes[first];
  // Other spaces (U+00A0, U+2028...) are whitespace to the text path's test for JSON.
  if (code !== undefined && code >= 0x80) throw giveUp;
  if (code === OPEN_BRACE || code === OPEN_BRACKET) yield* jsonUnits(bytes, start);
  else yield* yamlUnits(bytes, start);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

// In UTF-8 every byte of a multi-byte character is 0x80 or above, so the ASCII punctuation the
// scanner looks for is found exactly where the text path finds it.

function isJsonSpace(code: number | undefined): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipSpace(bytes: Uint8Array, at: number): number {
  let i = at;
  while (i < bytes.length && isJsonSpace(bytes[i])) i++;
  return i;
}

/** Index just past the string whose opening quote is at `at`. */
function stringEnd(bytes: Uint8Array, at: number): number {
  for (let i = at + 1; i < bytes.length; i++) {
    const code = bytes[i];
    if (code === BACKSLASH) i++;
    else if (code === QUOTE) return i + 1;
  }
  throw giveUp;
}

/** Index just past the JSON value starting at `at`; brackets and strings only, as in manifest.ts. */
function valueEnd(bytes: Uint8Array, at: number): number {
  const first = bytes[at];
  if (first === QUOTE) return stringEnd(bytes, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = at;
    for (; i < bytes.length; i++) {
      const code = bytes[i];
      if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isJsonSpace(code))
        break;
    }
    if (i === at) throw giveUp;
    return i;
  }
  let depth = 0;
  for (let i = at; i < bytes.length; i++) {
    const code = bytes[i];
    if (code === QUOTE) {
      i = stringEnd(bytes, i) - 1;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      // A mismatched bracket is left for JSON.parse of the unit (or the text path) to find.
      if (--depth === 0) return i + 1;
    }
  }
  throw giveUp;
}

interface Span {
  start: number;
  end: number;
}

/** Spans of the elements of the array at `at` ("[" there), lazily; sets `end.at` past "]". */
function* arrayElements(bytes: Uint8Array, at: number, end: { at: number }): Generator<Span> {
  let i = skipSpace(bytes, at + 1);
  if (bytes[i] === CLOSE_BRACKET) {
    end.at = i + 1;
    return;
  }
  for (;;) {
    const elementEnd = valueEnd(bytes, i);
    yield { start: i, end: elementEnd };
    i = skipSpace(bytes, elementEnd);
    if (bytes[i] === CLOSE_BRACKET) {
      end.at = i + 1;
      return;
    }
    if (bytes[i] !== COMMA) throw giveUp;
    i = skipSpace(bytes, i + 1);
  }
}

interface ScannedObject {
  /** By member name; a name twice is the text path's error to report. */
  members: Map<string, Span>;
  items: Span[] | undefined;
  end: number;
}

/** Scan the object at `at` ("{" there), giving a step after each "items" element. */
function* objectMembers(bytes: Buffer, at: number, out: ScannedObject): Generator<undefined> {
  let i = skipSpace(bytes, at + 1);
  if (bytes[i] === CLOSE_BRACE) {
    out.end = i + 1;
    return;
  }
  for (;;) {
    if (bytes[i] !== QUOTE) throw giveUp;
    const keyEnd = stringEnd(bytes, i);
    const key = parseBytes(bytes.subarray(i, keyEnd)) as string;
    i = skipSpace(bytes, keyEnd);
    if (bytes[i] !== COLON || out.members.has(key)) throw giveUp;
    i = skipSpace(bytes, i + 1);
    let end: number;
    if (key === "items" && bytes[i] === OPEN_BRACKET) {
      const items: Span[] = [];
      const arrayEnd = { at: i };
      for (const span of arrayElements(bytes, i, arrayEnd)) {
        items.push(span);
        yield undefined;
      }
      out.items = items;
      end = arrayEnd.at;
    } else {
      end = valueEnd(bytes, i);
    }
    out.members.set(key, { start: i, end });
    i = skipSpace(bytes, end);
    if (bytes[i] === CLOSE_BRACE) {
      out.end = i + 1;
      return;
    }
    if (bytes[i] !== COMMA) throw giveUp;
    i = skipSpace(bytes, i + 1);
  }
}

/**
 * The units of a JSON manifest in file order, with an undefined step now and then while a
 * large List is scanned (a chance to give the event loop back). Units are cut as manifest.ts
 * cuts them, with the same memo context.
 */
function* jsonUnits(bytes: Buffer, from: number): Generator<ByteUnit | undefined> {
  let i = skipSpace(bytes, from);
  if (bytes[i] !== OPEN_BRACE && bytes[i] !== OPEN_BRACKET) throw giveUp;
  // Several top-level values in a row (a jq stream) are accepted, like kubectl does.
  for (; i < bytes.length; i = skipSpace(bytes, i)) {
    if (bytes[i] === OPEN_BRACKET) {
      const end = { at: i };
      for (const span of arrayElements(bytes, i, end))
        yield { ...span, context: "json", read: parseBytes };
      i = end.at;
    } else if (bytes[i] === OPEN_BRACE) {
      const scanned: ScannedObject = { members: new Map(), items: undefined, end: i };
      yield* objectMembers(bytes, i, scanned);
      yield* objectUnits(bytes, { start: i, end: scanned.end }, scanned);
      i = scanned.end;
    } else {
      throw giveUp;
    }
  }
}

/** A List's items, each a unit; any other object is one unit. */
function* objectUnits(bytes: Buffer, object: Span, scanned: ScannedObject): Generator<ByteUnit> {
  const parse = (span: Span): unknown => parseBytes(bytes.subarray(span.start, span.end));
  const spelled = (span: Span): string => bytes.toString("utf8", span.start, span.end);
  const kind = scanned.members.get("kind");
  if (kind === undefined || scanned.items === undefined || !isListKind(parse(kind))) {
    yield { ...object, context: "json", read: parseBytes };
    return;
  }
  // Every other member is parsed, as the text path does: one that does not parse is its error.
  const list: Record<string, unknown> = {};
  for (const [key, span] of scanned.members) if (key !== "items") list[key] = parse(span);
  const apiVersion = scanned.members.get("apiVersion");
  const context = listContext(spelled(kind), apiVersion === undefined ? null : spelled(apiVersion));
  const read = listItemReader(list);
  for (const span of scanned.items) yield { ...span, context, read };
}

// ---------------------------------------------------------------------------------------
// YAML: documents cut where splitYamlDocuments cuts the text, at a line that is "---" or
// "..." alone or followed by a space (its regular expression, followed on the bytes).

const DASHES = Buffer.from("---");
const DOTS = Buffer.from("...");
const LINE_SEPARATORS = [Buffer.from("\u2028"), Buffer.from("\u2029")];

/** The index of the next document marker at or after `at` spelled `marker`, or -1. */
function nextMarker(bytes: Buffer, marker: Buffer, from: number, at: number): number {
  for (let i = bytes.indexOf(marker, at); i !== -1; i = bytes.indexOf(marker, i + 1)) {
    const before = bytes[i - 1];
    const after = bytes[i + 3];
    const startsLine = i === from || before === 0x0a || before === 0x0d;
    const endsMarker =
      after === undefined || after === 0x20 || after === 0x09 || after === 0x0a || after === 0x0d;
    if (startsLine && endsMarker) return i;
  }
  return -1;
}

function* yamlUnits(bytes: Buffer, from: number): Generator<ByteUnit> {
  // These end lines for a regular expression too; rare enough in manifests to leave to it.
  if (LINE_SEPARATORS.some((separator) => bytes.includes(separator, from))) throw giveUp;
  const chunk = (start: number, end: number): ByteUnit => ({
    start,
    end,
    context: "yaml",
    read: readYamlBytes,
  });
  let start = from;
  let search = from;
  let dashes = nextMarker(bytes, DASHES, from, from);
  let dots = nextMarker(bytes, DOTS, from, from);
  for (;;) {
    if (dashes !== -1 && dashes < search) dashes = nextMarker(bytes, DASHES, from, search);
    if (dots !== -1 && dots < search) dots = nextMarker(bytes, DOTS, from, search);
    const at = dashes === -1 ? dots : dots === -1 ? dashes : Math.min(dashes, dots);
    if (at === -1) break;
    if (at > start) yield chunk(start, at);
    if (at === dots) {
      // "..." ends a document and is cut out with the rest of its line.
      const lineEnd = bytes.indexOf(0x0a, at);
      start = lineEnd === -1 ? bytes.length : lineEnd + 1;
      search = start;
    } else {
      // "---" starts one and stays at its head.
      start = at;
      search = at + 3;
    }
  }
  if (start < bytes.length) yield chunk(start, bytes.length);
}
