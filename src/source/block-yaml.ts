// A fast reader for the plain block-style YAML that Kubernetes tools write (`kubectl get -o
// yaml`, Helm, kustomize, hand-written manifests): block mappings and sequences, plain,
// single- and double-quoted one-line scalars, comments. The `yaml` package reads about
// 1 MB/s, so a 30 MB manifest would take half a minute; this reads it in a second or two.
//
// It is deliberately partial: on anything it does not fully understand (anchors, tags,
// block scalars, flow mappings and nested flow collections, multi-line scalars, tabs, odd
// indentation, duplicate keys) it returns undefined and the caller parses that document
// with the `yaml` package, which also produces the error messages. Where it does return a
// value, that value equals what `yaml`'s parse() returns with the default (YAML 1.2 core)
// schema.

interface Line {
  indent: number;
  /** The line without its indentation and trailing whitespace; never empty or a comment. */
  text: string;
}

/** Thrown inside the reader to give up on a document; never escapes readBlockYaml. */
class Unsupported extends Error {}

const unsupported = new Unsupported();

/** The document's value, or undefined when the fast reader cannot take this document. */
export function readBlockYaml(documentText: string): unknown {
  const lines = splitLines(documentText);
  if (lines === undefined) return undefined;
  if (lines.length === 0) return null;
  try {
    const reader = new Reader(lines);
    const value = reader.node(0);
    return reader.position === lines.length ? value : undefined;
  } catch (error) {
    if (error === unsupported) return undefined;
    throw error;
  }
}

function splitLines(text: string): Line[] | undefined {
  const lines: Line[] = [];
  let start = 0;
  let first = true;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.includes("\t")) return undefined;
    const trimmed = raw.trimEnd();
    let indent = 0;
    while (indent < trimmed.length && trimmed.charCodeAt(indent) === 0x20) indent++;
    const content = trimmed.slice(indent);
    if (content === "" || content.startsWith("#")) continue;
    // A second document in the text is the splitter's business, not ours.
    if (!first && indent === 0 && /^(?:---|\.\.\.)(?:\s|$)/.test(content)) return undefined;
    if (first) {
      first = false;
      if (indent === 0 && content.startsWith("%")) return undefined; // directive
      if (indent === 0 && content.startsWith("---")) {
        const rest = content.slice(3).trim();
        if (rest === "" || rest.startsWith("#")) continue;
        return undefined;
      }
    }
    lines.push({ indent, text: content });
  }
  return lines;
}

function isSequenceEntry(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

class Reader {
  position = 0;

  constructor(private readonly lines: Line[]) {}

  /** The block node starting at the current line, at that line's indentation. */
  node(minIndent: number): unknown {
    const line = this.lines[this.position];
    if (line === undefined || line.indent < minIndent) throw unsupported;
    if (isSequenceEntry(line.text)) return this.sequence(line.indent);
    if (keyEnd(line.text) !== -1) return this.mapping(line.indent);
    // A lone scalar line: valid YAML only when nothing more indented follows (a multi-line
    // scalar otherwise), which the caller's indentation check enforces.
    this.position++;
    return inlineValue(line.text);
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    for (
      let line = this.lines[this.position];
      line?.indent === indent && isSequenceEntry(line.text);
      line = this.lines[this.position]
    ) {
      const rest = line.text.slice(1);
      const inline = rest.trimStart();
      if (inline === "") {
        this.position++;
        const next = this.lines[this.position];
        items.push(next !== undefined && next.indent > indent ? this.node(indent + 1) : null);
      } else {
        // "- key: value" or "- - x": the item is a node starting at the column after "- ".
        this.lines[this.position] = {
          indent: indent + 1 + (rest.length - inline.length),
          text: inline,
        };
        items.push(this.node(indent + 1));
      }
    }
    return items;
  }

  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (
      let line = this.lines[this.position];
      line?.indent === indent;
      line = this.lines[this.position]
    ) {
      const colon = keyEnd(line.text);
      if (colon === -1) break;
      const key = mappingKey(line.text.slice(0, colon));
      if (Object.prototype.hasOwnProperty.call(map, key)) throw unsupported; // yaml reports it
      const inline = line.text.slice(colon + 1).trimStart();
      this.position++;
      if (inline !== "" && !inline.startsWith("#")) {
        map[key] = inlineValue(inline);
        continue;
      }
      const next = this.lines[this.position];
      if (next !== undefined && next.indent > indent) map[key] = this.node(indent + 1);
      else if (next?.indent === indent && isSequenceEntry(next.text))
        map[key] = this.sequence(indent);
      else map[key] = null;
    }
    return map;
  }
}

/**
 * Index of the ":" that ends a mapping key on this line, or -1 when the line is not a
 * "key: value" / "key:" line. Quoted keys are found by their closing quote.
 */
function keyEnd(text: string): number {
  let from = 0;
  const first = text.charCodeAt(0);
  if (first === 0x22 || first === 0x27) {
    const close = quotedEnd(text, 0);
    if (close === -1) return -1;
    from = close;
  }
  for (let i = text.indexOf(":", from); i !== -1; i = text.indexOf(":", i + 1)) {
    if (i + 1 === text.length || text.charCodeAt(i + 1) === 0x20) return i;
  }
  return -1;
}

const SAFE_KEY = /^[A-Za-z0-9_/$][^#]*$/;

/** Keys repeat across a manifest's documents (apiVersion, metadata, ...); remember the checked ones. */
const knownKeys = new Map<string, string>();
const MAX_KNOWN_KEYS = 4096;

function mappingKey(raw: string): string {
  const known = knownKeys.get(raw);
  if (known !== undefined) return known;
  const key = checkMappingKey(raw);
  if (knownKeys.size >= MAX_KNOWN_KEYS) knownKeys.clear();
  knownKeys.set(raw, key);
  return key;
}

function checkMappingKey(raw: string): string {
  const text = raw.trimEnd();
  if (text.startsWith('"') || text.startsWith("'")) {
    const close = quotedEnd(text, 0);
    if (close !== text.length) throw unsupported;
    return checkedKey(quoted(text));
  }
  if (!SAFE_KEY.test(text)) throw unsupported;
  const value = scalar(text);
  // A key like `80` or `true` is a number or a boolean to YAML; keep to plain string keys.
  if (typeof value !== "string") throw unsupported;
  return checkedKey(value);
}

function checkedKey(key: string): string {
  if (key === "__proto__" || key === "<<") throw unsupported;
  return key;
}

/** A value written after "key: " on the same line. */
function inlineValue(text: string): unknown {
  const first = text.charCodeAt(0);
  if (first === 0x22 || first === 0x27) {
    const close = quotedEnd(text, 0);
    if (close === -1) throw unsupported;
    const after = text.slice(close).trimStart();
    if (
      after !== "" &&
      !(after.startsWith("#") && close < text.length && text.charCodeAt(close) === 0x20)
    )
      throw unsupported;
    return quoted(text.slice(0, close));
  }
  const value = stripComment(text);
  if (value === "{}") return {};
  if (value.startsWith("[")) return flowSequence(value);
  return scalar(value);
}

/**
 * A one-line flow sequence of scalars, `["10.1.2.10", b]`, common in hand-written manifests.
 * Anything with nesting, comments, commas inside quotes or empty entries goes to `yaml`.
 */
function flowSequence(text: string): unknown[] {
  if (!text.endsWith("]")) throw unsupported;
  const inner = text.slice(1, -1);
  if (inner.trim() === "") return [];
  if (/[[\]{}#]/.test(inner)) throw unsupported;
  return inner.split(",").map((part) => {
    const item = part.trim();
    if (item === "") throw unsupported;
    const first = item.charCodeAt(0);
    if (first === 0x22 || first === 0x27) {
      if (quotedEnd(item, 0) !== item.length) throw unsupported;
      return quoted(item);
    }
    return scalar(item);
  });
}

function stripComment(text: string): string {
  const hash = text.indexOf(" #");
  return hash === -1 ? text : text.slice(0, hash).trimEnd();
}

/** Index just past the closing quote of the quoted scalar at `at`, or -1. */
function quotedEnd(text: string, at: number): number {
  const quote = text.charCodeAt(at);
  for (let i = at + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (quote === 0x22 && code === 0x5c) i++;
    else if (code === quote) {
      if (quote === 0x27 && text.charCodeAt(i + 1) === 0x27) i++;
      else return i + 1;
    }
  }
  return -1;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  n: "\n",
  t: "\t",
  r: "\r",
  b: "\b",
  f: "\f",
  "0": "\0",
  " ": " ",
};

/** The value of a complete one-line quoted scalar (quotes included in `text`). */
function quoted(text: string): string {
  const body = text.slice(1, -1);
  if (text.startsWith("'")) return body.replaceAll("''", "'");
  if (!body.includes("\\")) return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (char !== "\\") {
      out += char;
      continue;
    }
    const escape = body[++i] ?? "";
    const simple = SIMPLE_ESCAPES[escape];
    if (simple !== undefined) {
      out += simple;
    } else if (escape === "u" && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else {
      throw unsupported;
    }
  }
  return out;
}

/** Characters that cannot start a plain scalar (or start something we leave to `yaml`). */
const INDICATOR_START = /^[[\]{},#&*!|>'"%@`]|^[-?:](?:\s|$)/;

/** A plain scalar resolved by the YAML 1.2 core schema, exactly as `yaml` does. */
function scalar(text: string): unknown {
  if (INDICATOR_START.test(text)) throw unsupported;
  // "a: b" would be a nested mapping (an error); "a :" and " #" edge cases go to `yaml`.
  if (text.includes(": ") || text.endsWith(":") || text.includes(" #")) throw unsupported;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(text)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(text)) return false;
  const first = text.charCodeAt(0);
  const numeric =
    (first >= 0x30 && first <= 0x39) || first === 0x2b || first === 0x2d || first === 0x2e;
  if (!numeric) return text;
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) {
    if (text.slice(-3).toLowerCase() === "nan") return NaN;
    return text.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text)) return parseFloat(text);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return parseFloat(text);
  return text;
}
