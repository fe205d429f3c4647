// Kubernetes manifests as text → plain objects, the way `kubectl apply -f` reads them:
// multi-document YAML, `List` / `<Kind>List` flattened to their items, and JSON as
// `kubectl get ... -o json` prints it. Validation is not done here (see zone/objects.ts).
//
// Large inputs stay cheap: YAML is split at document markers and each document is parsed
// on its own, and JSON lists are cut into their elements by a small scanner so that each
// element is JSON.parse'd separately; a 30 MB file never becomes one giant tree. A caller
// can convert each object as soon as it is parsed (parseManifestTextAsync's `convert`), so
// the raw trees become garbage one by one instead of all living until the file is done.
//
// Re-reads stay cheap too: with a UnitMemo, a document or List item whose text was seen before
// is not parsed or converted again, so an edit costs the parsing of what it changed.

import { parseDocument } from "yaml";
import { readBlockYaml } from "./block-yaml.js";

export interface ManifestParse<T = unknown> {
  /** Plain objects (mappings), List items already flattened; not validated (or converted). */
  objects: T[];
  /** One line each, naming the file and where; empty when everything parsed. */
  errors: string[];
}

/**
 * Remembers what each unit of a manifest converted to. A unit is the text that is parsed on
 * its own: a YAML document, a top-level JSON value, or one item of a JSON List. What a unit
 * converts to also depends on its context: how it was read, and for a List's item the List's
 * kind and apiVersion. Only units that parsed without an error are remembered, so errors are
 * always found and worded afresh.
 */
export interface UnitMemo<T> {
  /** Equal for two units exactly when their texts are equal. */
  keyOf(unit: string): string;
  get(context: string, key: string): readonly T[] | undefined;
  set(context: string, key: string, objects: readonly T[]): void;
}

export function parseManifestText(text: string, fileName: string): ManifestParse {
  const result: ManifestParse = { objects: [], errors: [] };
  for (const _ of parseSteps(text, fileName, result, new Units(result.objects, (raw) => raw)));
  return result;
}

/**
 * parseManifestText, giving the event loop back every `sliceMs` so that a server reading a
 * large file keeps answering queries meanwhile. Each flattened object goes through `convert`
 * right away and only what it returns is kept. `convert` must be pure: when a text that
 * starts like JSON turns out to be YAML, what it returned for the JSON attempt is dropped, and
 * with a `memo` what it returned for a unit stands for every later unit with the same text.
 */
export async function parseManifestTextAsync<T = unknown>(
  text: string,
  fileName: string,
  sliceMs = 20,
  convert: (raw: unknown) => T = (raw) => raw as T,
  memo?: UnitMemo<T>,
): Promise<ManifestParse<T>> {
  const result: ManifestParse<T> = { objects: [], errors: [] };
  const units = new Units(result.objects, convert, memo);
  let deadline = performance.now() + sliceMs;
  for (const _ of parseSteps(text, fileName, result, units)) {
    if (performance.now() < deadline) continue;
    await new Promise((resolve) => setImmediate(resolve));
    deadline = performance.now() + sliceMs;
  }
  return result;
}

/** Parses into `result` (through `units`), yielding after each document or list item. */
function* parseSteps<T>(
  text: string,
  fileName: string,
  result: ManifestParse<T>,
  units: Units<T>,
): Generator<void> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (looksLikeJson(body)) {
    const before = result.objects.length;
    const errors: string[] = [];
    yield* parseJsonSteps(body, fileName, units, errors);
    // A YAML flow mapping (`{a: 1}`) also starts with "{"; only a .json file must be JSON.
    if (errors.length === 0 || fileName.toLowerCase().endsWith(".json")) {
      result.errors.push(...errors);
      return;
    }
    result.objects.length = before;
  }
  yield* parseYamlSteps(body, fileName, units, result.errors);
}

/** Receives each flattened object. */
type Emit = (raw: unknown) => void;

/** A unit's text did not parse; `offset` is where, in the text the caller knows. */
class ParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Adds the converted objects of one unit after another to `out`, through the memo if any. */
class Units<T> {
  constructor(
    private readonly out: T[],
    private readonly convert: (raw: unknown) => T,
    private readonly memo?: UnitMemo<T>,
  ) {}

  /**
   * Add the objects of `unit`: the remembered ones, else those of `read(unit)` (which throws
   * when it does not parse) flattened and converted. Returns why the unit is not a manifest,
   * if it is not; the objects flattened before that are added all the same.
   */
  add(context: string, unit: string, read: (unit: string) => unknown): string | undefined {
    const key = this.memo?.keyOf(unit);
    const known = key === undefined ? undefined : this.memo?.get(context, key);
    if (known !== undefined) {
      for (const object of known) this.out.push(object);
      return undefined;
    }
    const objects: T[] = [];
    const problem = flatten(read(unit), (raw) => {
      objects.push(this.convert(raw));
    });
    for (const object of objects) this.out.push(object);
    // A copy at its exact length: an array grown by push keeps room for 17 (40k units, 5 MB).
    if (problem === undefined && key !== undefined) this.memo?.set(context, key, objects.slice());
    return problem;
  }
}

// ---------------------------------------------------------------------------------------
// Flattening (shared by YAML and JSON)

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isListKind(kind: unknown): kind is string {
  return typeof kind === "string" && kind.endsWith("List");
}

/**
 * Push `value` (one document or one List item) to `out`, expanding Lists. Items of a typed
 * list such as ServiceImportList come without kind/apiVersion (the apiserver's raw LIST
 * form), so they inherit them from the list. Returns a reason when the value is not an object.
 */
function flatten(value: unknown, out: Emit, depth = 0): string | undefined {
  if (value === null || value === undefined) return undefined; // empty document
  if (Array.isArray(value)) {
    for (const element of value) {
      const problem = flatten(element, out, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return `expected an object, got ${typeof value}`;
  if (depth > 8) return "Lists nested too deeply";
  const kind = value["kind"];
  if (!isListKind(kind) || !("items" in value)) {
    out(value);
    return undefined;
  }
  const items = value["items"];
  if (items === null || items === undefined) return undefined;
  if (!Array.isArray(items)) return `${kind}.items is not an array`;
  const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
  for (const item of items as unknown[]) {
    const filled =
      itemKind !== undefined && isPlainObject(item) && item["kind"] === undefined
        ? { apiVersion: value["apiVersion"], kind: itemKind, ...item }
        : item;
    if (!isPlainObject(filled)) return `${kind} item: expected an object`;
    const problem = flatten(filled, out, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** 1-based line and column of `offset` in `text`; only computed for error messages. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function firstLine(message: string): string {
  const end = message.indexOf("\n");
  return (end === -1 ? message : message.slice(0, end)).trim();
}

// ---------------------------------------------------------------------------------------
// YAML

/** A line that is a document marker: "---" or "..." alone, or "--- " followed by content. */
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?=[ \t]|\r?$)/gm;

interface DocumentChunk {
  /** Offset of the chunk in the whole text, for absolute line numbers in errors. */
  start: number;
  text: string;
}

/**
 * Cut the stream at column-0 document markers. YAML forbids a marker inside a document's
 * content at column 0, so this never splits a document. A "---" line stays at the head of
 * the chunk it opens (so "--- {inline: doc}" parses); a "..." line is cut out.
 */
export function splitYamlDocuments(text: string): DocumentChunk[] {
  const chunks: DocumentChunk[] = [];
  let start = 0;
  DOCUMENT_MARKER.lastIndex = 0;
  for (let match = DOCUMENT_MARKER.exec(text); match !== null; match = DOCUMENT_MARKER.exec(text)) {
    if (match.index > start) chunks.push({ start, text: text.slice(start, match.index) });
    if (match[0] === "...") {
      const lineEnd = text.indexOf("\n", match.index);
      start = lineEnd === -1 ? text.length : lineEnd + 1;
      DOCUMENT_MARKER.lastIndex = start;
    } else {
      start = match.index;
      DOCUMENT_MARKER.lastIndex = match.index + 3;
    }
  }
  if (start < text.length) chunks.push({ start, text: text.slice(start) });
  return chunks;
}

/** One YAML document's value; throws ParseError with an offset into `text`. */
function readYamlDocument(text: string): unknown {
  const value = readBlockYaml(text);
  if (value !== undefined) return value;
  // Not the plain block style the fast reader takes: the full parser decides (and words the errors).
  const doc = parseDocument(text, { prettyErrors: false });
  const [error] = doc.errors;
  if (error !== undefined) throw new ParseError(firstLine(error.message), error.pos[0]);
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

function* parseYamlSteps<T>(
  text: string,
  fileName: string,
  units: Units<T>,
  errors: string[],
): Generator<void> {
  const chunks = splitYamlDocuments(text);
  for (let index = 0; index < chunks.length; index++) {
    const chunk = chunks[index] as DocumentChunk;
    const where = (offset: number): string => {
      const { line, column } = lineColumn(text, chunk.start + offset);
      return `${fileName}: document ${index + 1}, line ${line} column ${column}`;
    };
    try {
      const problem = units.add("yaml", chunk.text, readYamlDocument);
      if (problem !== undefined) errors.push(`${where(0)}: ${problem}`);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      errors.push(`${where(error.offset)}: ${error.message}`);
    }
    yield;
  }
}

// ---------------------------------------------------------------------------------------
// JSON

function looksLikeJson(text: string): boolean {
  const match = /\S/.exec(text);
  return match !== null && (match[0] === "{" || match[0] === "[");
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function unexpected(text: string, at: number, expected: string): ParseError {
  return new ParseError(at >= text.length ? "unexpected end of input" : expected, at);
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipSpace(text: string, at: number): number {
  let i = at;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string whose opening quote is at `at`. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) i++;
    else if (code === QUOTE) return i + 1;
  }
  throw new ParseError("unterminated string", at);
}

/**
 * Index just past the JSON value starting at `at` (no leading space). Only tracks strings
 * and bracket depth; JSON.parse of the slice does the real checking.
 */
function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = at;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isJsonSpace(code))
        break;
      i++;
    }
    if (i === at) throw new ParseError("expected a value", at);
    return i;
  }
  const closers: number[] = [];
  for (let i = at; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = stringEnd(text, i) - 1;
    } else if (code === OPEN_BRACE) {
      closers.push(CLOSE_BRACE);
    } else if (code === OPEN_BRACKET) {
      closers.push(CLOSE_BRACKET);
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      if (closers.pop() !== code) throw new ParseError("mismatched bracket", i);
      if (closers.length === 0) return i + 1;
    }
  }
  throw new ParseError("unexpected end of input", text.length);
}

interface Span {
  start: number;
  end: number;
}

/** Spans of the elements of the array at `at` ("[" there), lazily; sets `end.at` past "]". */
function* arrayElements(text: string, at: number, end: { at: number }): Generator<Span> {
  let i = skipSpace(text, at + 1);
  if (text.charCodeAt(i) === CLOSE_BRACKET) {
    end.at = i + 1;
    return;
  }
  for (;;) {
    const elementEnd = valueEnd(text, i);
    yield { start: i, end: elementEnd };
    i = skipSpace(text, elementEnd);
    const code = text.charCodeAt(i);
    if (code === CLOSE_BRACKET) {
      end.at = i + 1;
      return;
    }
    if (code !== COMMA) throw unexpected(text, i, "expected ',' or ']'");
    i = skipSpace(text, i + 1);
  }
}

interface ScannedObject {
  members: Map<string, Span>;
  /**
   * Where the elements of an "items" array are, parsed later one at a time: kubectl puts
   * "kind" after "items", and holding every parsed item until then would hold the whole file.
   */
  items: Span[] | undefined;
  end: number;
}

/** JSON.parse one span; a failure is reported at the span's start. */
function parseSpan(text: string, span: Span): unknown {
  return parseJsonAt(text.slice(span.start, span.end), span.start);
}

/** JSON.parse `json`, which was found at `offset`; a failure is reported there. */
function parseJsonAt(json: string, offset: number): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new ParseError(firstLine((error as Error).message), offset);
  }
}

/**
 * The memo context of a List's items: what flatten() takes from the List into each item, as
 * spelled in the file (null when absent).
 */
function listContext(kind: string, apiVersion: string | null): string {
  return `list ${JSON.stringify([kind, apiVersion])}`;
}

function spelledMember(
  text: string,
  members: ReadonlyMap<string, Span>,
  key: string,
): string | null {
  const span = members.get(key);
  return span === undefined ? null : text.slice(span.start, span.end);
}

/** Scan the object at `at` ("{" there) into `out`, yielding after each "items" element. */
function* objectMembers(text: string, at: number, out: ScannedObject): Generator<void> {
  let i = skipSpace(text, at + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) {
    out.end = i + 1;
    return;
  }
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) throw new ParseError("expected a member name", i);
    const keyEnd = stringEnd(text, i);
    const key = parseSpan(text, { start: i, end: keyEnd }) as string;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) throw new ParseError("expected ':'", i);
    i = skipSpace(text, i + 1);
    if (out.members.has(key)) throw new ParseError(`duplicate member "${key}"`, i);
    let end: number;
    if (key === "items" && text.charCodeAt(i) === OPEN_BRACKET) {
      const items: Span[] = [];
      const arrayEnd = { at: i };
      for (const span of arrayElements(text, i, arrayEnd)) {
        items.push(span);
        yield;
      }
      out.items = items;
      end = arrayEnd.at;
    } else {
      end = valueEnd(text, i);
    }
    out.members.set(key, { start: i, end });
    i = skipSpace(text, end);
    const code = text.charCodeAt(i);
    if (code === CLOSE_BRACE) {
      out.end = i + 1;
      return;
    }
    if (code !== COMMA) throw unexpected(text, i, "expected ',' or '}'");
    i = skipSpace(text, i + 1);
  }
}

function* parseJsonSteps<T>(
  text: string,
  fileName: string,
  units: Units<T>,
  errors: string[],
): Generator<void> {
  /** Add the unit at `span`, as `read` makes a value of it; a problem is reported at `problemAt`. */
  const add = (
    context: string,
    span: Span,
    problemAt: number,
    read = (json: string): unknown => parseJsonAt(json, span.start),
  ): void => {
    const problem = units.add(context, text.slice(span.start, span.end), read);
    if (problem !== undefined) throw new ParseError(problem, problemAt);
  };
  try {
    // Several top-level values in a row (a jq stream) are accepted, like kubectl does.
    for (let i = skipSpace(text, 0); i < text.length; i = skipSpace(text, i)) {
      const first = text.charCodeAt(i);
      if (first === OPEN_BRACKET) {
        const end = { at: i };
        for (const span of arrayElements(text, i, end)) {
          add("json", span, span.start);
          yield;
        }
        i = end.at;
      } else if (first === OPEN_BRACE) {
        const scanned: ScannedObject = { members: new Map(), items: undefined, end: i };
        yield* objectMembers(text, i, scanned);
        const kindSpan = scanned.members.get("kind");
        const kind = kindSpan === undefined ? undefined : parseSpan(text, kindSpan);
        if (isListKind(kind) && scanned.items !== undefined) {
          // The list's shell without its items, then each item through the same flattening.
          const shell: Plain = {};
          for (const [key, span] of scanned.members)
            if (key !== "items") shell[key] = parseSpan(text, span);
          const context = listContext(
            spelledMember(text, scanned.members, "kind") ?? "",
            spelledMember(text, scanned.members, "apiVersion"),
          );
          for (const span of scanned.items) {
            add(context, span, i, (json) => {
              shell["items"] = [parseJsonAt(json, span.start)];
              return shell;
            });
            yield;
          }
        } else {
          add("json", { start: i, end: scanned.end }, i);
        }
        i = scanned.end;
        yield;
      } else {
        throw new ParseError("expected '{' or '['", i);
      }
    }
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    const { line, column } = lineColumn(text, error.offset);
    errors.push(`${fileName}: line ${line} column ${column}: ${error.message}`);
  }
}
