// Domain names on the wire (RFC 1035 §3.1, §4.1.4): reading with pointer following and strict
// limits, writing with a suffix-dictionary compressor.
//
// Text form (shared with types.ts): labels joined by ".", no trailing dot, the root is "".
// A label byte that is ".", "\\" or outside 0x21..0x7e is written as \DDD (three decimal digits),
// so a name holding such bytes can never be equal to a zone name.

/** Largest label, in bytes (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;
/** Largest name in wire form, length bytes and the root byte included (RFC 1035 §2.3.4). */
export const MAX_NAME_WIRE_LENGTH = 255;
/**
 * A legitimate name has at most 127 labels, so following more pointers than that means a loop
 * made only of pointers (a loop through labels trips the 255-byte limit first).
 */
const MAX_POINTER_HOPS = 127;
/** Compression pointers hold 14 bits of offset. */
const MAX_POINTER_TARGET = 0x3fff;

/** Malformed wire data. Internal to the codec: the exported decoders turn it into results. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

export interface DecodedName {
  /** Text form, case kept, weird bytes escaped. */
  text: string;
  /** Offset just past the name where it was read (past the first pointer, if any). */
  end: number;
  /** True when a compression pointer was followed. */
  compressed: boolean;
  /** Length of the uncompressed wire form, root byte included; the bytes are in `nameWire`. */
  wireLength: number;
}

// Scratch space reused by every readName call: the uncompressed wire form of the last name read
// (at most 255 bytes) and its text (at most 4 characters per byte).
const nameWire = new Uint8Array(MAX_NAME_WIRE_LENGTH);
const textScratch = Buffer.alloc(MAX_NAME_WIRE_LENGTH * 4);

/** The uncompressed wire form of the name last returned by readName; valid until the next call. */
export function lastNameWire(length: number): Uint8Array {
  return nameWire.subarray(0, length);
}

/**
 * Reads the name at `start`, following compression pointers anywhere inside the packet.
 * Throws DecodeError on a truncated name, a pointer outside the packet, a pointer loop, a label
 * type other than 00/11, or a name longer than 255 wire bytes.
 */
export function readName(packet: Uint8Array, start: number): DecodedName {
  const length = packet.length;
  let pos = start;
  let end = -1;
  let wireLength = 0;
  let textLength = 0;
  let hops = 0;
  for (;;) {
    if (pos >= length) throw new DecodeError("name runs past the end of the message");
    const lengthByte = packet[pos]!;
    if (lengthByte === 0) {
      nameWire[wireLength++] = 0;
      if (end < 0) end = pos + 1;
      break;
    }
    const labelType = lengthByte & 0xc0;
    if (labelType === 0xc0) {
      if (pos + 1 >= length) throw new DecodeError("compression pointer cut short");
      const target = ((lengthByte & 0x3f) << 8) | packet[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= length) throw new DecodeError("compression pointer beyond the message");
      if (++hops > MAX_POINTER_HOPS) throw new DecodeError("compression pointer loop");
      pos = target;
      continue;
    }
    if (labelType !== 0) {
      throw new DecodeError(`unsupported label type 0x${labelType.toString(16)}`);
    }
    // 1 + lengthByte for this label, and one more for the root byte still to come.
    if (wireLength + 1 + lengthByte + 1 > MAX_NAME_WIRE_LENGTH) {
      throw new DecodeError("name longer than 255 bytes");
    }
    const labelEnd = pos + 1 + lengthByte;
    if (labelEnd > length) throw new DecodeError("label runs past the end of the message");
    nameWire[wireLength++] = lengthByte;
    if (textLength > 0) textScratch[textLength++] = 0x2e;
    for (let i = pos + 1; i < labelEnd; i++) {
      const c = packet[i]!;
      nameWire[wireLength++] = c;
      if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) {
        textScratch[textLength++] = c;
      } else {
        textScratch[textLength++] = 0x5c;
        textScratch[textLength++] = 0x30 + ((c / 100) | 0);
        textScratch[textLength++] = 0x30 + (((c / 10) | 0) % 10);
        textScratch[textLength++] = 0x30 + (c % 10);
      }
    }
    pos = labelEnd;
  }
  return {
    text: textLength === 0 ? "" : textScratch.toString("latin1", 0, textLength),
    end,
    compressed: hops > 0,
    wireLength,
  };
}

/**
 * Offset just past the name at `start` without following pointers, or -1 when the name is
 * truncated or uses a reserved label type. For skipping records cheaply.
 */
export function skipName(packet: Uint8Array, start: number): number {
  const length = packet.length;
  let pos = start;
  while (pos < length) {
    const lengthByte = packet[pos]!;
    if (lengthByte === 0) return pos + 1;
    const labelType = lengthByte & 0xc0;
    if (labelType === 0xc0) return pos + 2 <= length ? pos + 2 : -1;
    if (labelType !== 0) return -1;
    pos += 1 + lengthByte;
  }
  return -1;
}

/** ASCII-only case folding: what DNS name comparison means (RFC 4343). */
export function foldCase(text: string): string {
  // Name text is ASCII (readName escapes everything else), where toLowerCase is exactly A-Z → a-z.
  return text.toLowerCase();
}

/**
 * Parses name text (with \DDD and \c escapes) into label byte arrays. Returns undefined for an
 * empty label, a label over 63 bytes, a name over 255 wire bytes, a bad escape or a character
 * above 0xff. One trailing dot is allowed. Not for the hot path.
 */
export function parseNameText(text: string): Uint8Array[] | undefined {
  const labels: Uint8Array[] = [];
  if (text === "" || text === ".") return labels;
  let current: number[] = [];
  let wireLength = 1;
  const finishLabel = (): boolean => {
    if (current.length === 0 || current.length > MAX_LABEL_LENGTH) return false;
    wireLength += 1 + current.length;
    labels.push(Uint8Array.from(current));
    current = [];
    return true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (!finishLabel()) return undefined;
      if (i === text.length - 1) return wireLength <= MAX_NAME_WIRE_LENGTH ? labels : undefined;
    } else if (c === 0x5c) {
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next)) return undefined;
      if (next >= 0x30 && next <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^\d{3}$/.test(digits)) return undefined;
        const value = Number(digits);
        if (value > 255) return undefined;
        current.push(value);
        i += 3;
      } else {
        if (next > 0xff) return undefined;
        current.push(next);
        i += 1;
      }
    } else {
      if (c > 0xff) return undefined;
      current.push(c);
    }
  }
  if (!finishLabel()) return undefined;
  return wireLength <= MAX_NAME_WIRE_LENGTH ? labels : undefined;
}

/** Result codes of the writers below, besides a new (non-negative) offset. */
export const WRITE_OVERFLOW = -1;
export const WRITE_INVALID = -2;

/**
 * One name suffix (exact spelling), interned: `offset` is where it was written in the message
 * being encoded, valid only while `stamp` equals that message's stamp. Stamps make resetting
 * the dictionary free and let lookups be plain property reads instead of string hashing.
 */
interface Suffix {
  stamp: number;
  offset: number;
}

/** How to write one name: its uncompressed wire form and its suffixes, longest first. */
interface NamePlan {
  wire: Uint8Array;
  /** Offset in `wire` of each label; the suffix starting there is suffixes[i]. */
  labelStarts: number[];
  suffixes: Suffix[];
}

/** Zone names are a finite set, so plans are cached; the bound only guards against surprises. */
const MAX_CACHED_PLANS = 50_000;
const planCache = new Map<string, NamePlan | null>();
const suffixTable = new Map<string, Suffix>();

function planFor(name: string): NamePlan | null {
  let plan = planCache.get(name);
  if (plan !== undefined) return plan;
  plan = buildPlan(name);
  planCache.set(name, plan);
  return plan;
}

function buildPlan(name: string): NamePlan | null {
  const labels = parseNameText(name);
  if (labels === undefined) return null;
  const texts = labels.map(escapeLabel);
  const labelStarts: number[] = [];
  const suffixes: Suffix[] = [];
  let length = 1;
  for (const label of labels) length += 1 + label.length;
  const wire = new Uint8Array(length);
  let pos = 0;
  labels.forEach((label, i) => {
    labelStarts.push(pos);
    wire[pos++] = label.length;
    wire.set(label, pos);
    pos += label.length;
    // Keys are the escaped text of the suffix: one spelling per byte sequence.
    const key = texts.slice(i).join(".");
    let suffix = suffixTable.get(key);
    if (suffix === undefined) {
      suffix = { stamp: 0, offset: 0 };
      suffixTable.set(key, suffix);
    }
    suffixes.push(suffix);
  });
  return { wire, labelStarts, suffixes };
}

function escapeLabel(label: Uint8Array): string {
  let text = "";
  for (const c of label) {
    text +=
      c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c
        ? String.fromCharCode(c)
        : "\\" + String(c).padStart(3, "0");
  }
  return text;
}

let lastStamp = 0;

/**
 * Writes names into a message being built, replacing any suffix already written (same spelling)
 * with a pointer to it. Every suffix written while `remember` is on becomes a pointer target;
 * mark/rollback undo the targets of a record (or a section) that was cut from the message.
 */
export class NameCompressor {
  private stamp = 0;
  private readonly added: Suffix[] = [];

  /** Starts a new message: forgets every target. */
  reset(): void {
    if (planCache.size > MAX_CACHED_PLANS) {
      planCache.clear();
      suffixTable.clear();
    }
    this.stamp = ++lastStamp;
    this.added.length = 0;
  }

  mark(): number {
    return this.added.length;
  }

  rollback(mark: number): void {
    while (this.added.length > mark) this.added.pop()!.stamp = 0;
  }

  /**
   * Writes `name` at `pos` (bytes up to `limit` may be used). Returns the offset past it, or
   * WRITE_OVERFLOW when it does not fit, or WRITE_INVALID when the name cannot be encoded.
   * `compress`: may end in a pointer. `remember`: enter the written suffixes as pointer targets.
   */
  write(
    out: Uint8Array,
    pos: number,
    limit: number,
    name: string,
    compress: boolean,
    remember: boolean,
  ): number {
    const plan = planFor(name);
    if (plan === null) return WRITE_INVALID;
    const { wire, labelStarts, suffixes } = plan;
    const stamp = this.stamp;
    const labelCount = suffixes.length;
    let cut = labelCount;
    if (compress) {
      for (let i = 0; i < labelCount; i++) {
        if (suffixes[i]!.stamp === stamp) {
          cut = i;
          break;
        }
      }
    }
    const literalLength = cut < labelCount ? labelStarts[cut]! : wire.length;
    const end = pos + literalLength + (cut < labelCount ? 2 : 0);
    if (end > limit) return WRITE_OVERFLOW;
    for (let i = 0; i < literalLength; i++) out[pos + i] = wire[i]!;
    if (remember) {
      for (let i = 0; i < cut; i++) {
        const offset = pos + labelStarts[i]!;
        const suffix = suffixes[i]!;
        // Keep the first occurrence (an uncompressed SRV target may repeat a known name).
        if (offset > MAX_POINTER_TARGET || suffix.stamp === stamp) continue;
        suffix.stamp = stamp;
        suffix.offset = offset;
        this.added.push(suffix);
      }
    }
    if (cut < labelCount) {
      const target = suffixes[cut]!.offset;
      out[end - 2] = 0xc0 | (target >> 8);
      out[end - 1] = target & 0xff;
    }
    return end;
  }
}

/** Uncompressed wire form of name text; undefined when the text is not a valid name. */
export function nameToWire(name: string): Uint8Array | undefined {
  const labels = parseNameText(name);
  if (labels === undefined) return undefined;
  let length = 1;
  for (const label of labels) length += 1 + label.length;
  const out = new Uint8Array(length);
  let pos = 0;
  for (const label of labels) {
    out[pos++] = label.length;
    out.set(label, pos);
    pos += label.length;
  }
  return out;
}
