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
 * Writes names into a message being built, replacing any suffix already written (same spelling)
 * with a pointer to it. Every suffix written while `remember` is on is entered in the dictionary;
 * mark/rollback undo the entries of a record (or a section) that was cut from the message.
 */
export class NameCompressor {
  private readonly offsets = new Map<string, number>();
  private readonly added: string[] = [];

  reset(): void {
    this.offsets.clear();
    this.added.length = 0;
  }

  mark(): number {
    return this.added.length;
  }

  rollback(mark: number): void {
    while (this.added.length > mark) this.offsets.delete(this.added.pop()!);
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
    if (name.includes("\\")) return writeEscapedName(out, pos, limit, name);
    let text = name;
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 0x2e) text = text.slice(0, -1);
    let wireLength = 1;
    let i = 0;
    while (i < text.length) {
      const suffix = i === 0 ? text : text.slice(i);
      if (compress) {
        const target = this.offsets.get(suffix);
        if (target !== undefined) {
          if (pos + 2 > limit) return WRITE_OVERFLOW;
          out[pos] = 0xc0 | (target >> 8);
          out[pos + 1] = target & 0xff;
          return pos + 2;
        }
      }
      let dot = text.indexOf(".", i);
      if (dot === -1) dot = text.length;
      const labelLength = dot - i;
      if (labelLength === 0 || labelLength > MAX_LABEL_LENGTH) return WRITE_INVALID;
      wireLength += 1 + labelLength;
      if (wireLength > MAX_NAME_WIRE_LENGTH) return WRITE_INVALID;
      if (pos + 1 + labelLength > limit) return WRITE_OVERFLOW;
      if (remember && pos <= MAX_POINTER_TARGET && !this.offsets.has(suffix)) {
        this.offsets.set(suffix, pos);
        this.added.push(suffix);
      }
      out[pos++] = labelLength;
      for (let j = i; j < dot; j++) {
        const c = text.charCodeAt(j);
        if (c > 0xff) return WRITE_INVALID;
        out[pos++] = c;
      }
      i = dot + 1;
    }
    if (pos + 1 > limit) return WRITE_OVERFLOW;
    out[pos++] = 0;
    return pos;
  }
}

/** Uncompressed write of a name with escapes; such names are never compression targets. */
function writeEscapedName(out: Uint8Array, pos: number, limit: number, name: string): number {
  const labels = parseNameText(name);
  if (labels === undefined) return WRITE_INVALID;
  for (const label of labels) {
    if (pos + 1 + label.length > limit) return WRITE_OVERFLOW;
    out[pos++] = label.length;
    out.set(label, pos);
    pos += label.length;
  }
  if (pos + 1 > limit) return WRITE_OVERFLOW;
  out[pos++] = 0;
  return pos;
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
