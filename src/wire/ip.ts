// IP address text ↔ bytes. Canonical text is what the zone stores and compares: dotted quad
// for IPv4, RFC 5952 for IPv6 (lower case, longest zero run compressed), which is also what
// the WHATWG URL serializer produces, so we let it do the compression.

import { isIPv4, isIPv6 } from "node:net";

/** Canonical IPv4 text, or undefined when `text` is not a plain dotted quad. */
export function canonicalIPv4(text: string): string | undefined {
  return isIPv4(text) ? text : undefined;
}

/** Canonical (RFC 5952) IPv6 text, or undefined when `text` is not an IPv6 address. */
export function canonicalIPv6(text: string): string | undefined {
  if (!isIPv6(text) || text.includes("%")) return undefined;
  const host = new URL(`http://[${text}]/`).hostname;
  return host.slice(1, -1);
}

/** Four bytes of a canonical IPv4 address. */
export function ipv4Bytes(text: string): Uint8Array {
  const out = new Uint8Array(4);
  const parts = text.split(".");
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  return out;
}

/** Sixteen bytes of an IPv6 address in canonical form (no embedded IPv4 part). */
export function ipv6Bytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [
    ...headGroups,
    ...new Array<string>(8 - headGroups.length - tailGroups.length).fill("0"),
    ...tailGroups,
  ];
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    out[i * 2] = value >> 8;
    out[i * 2 + 1] = value & 0xff;
  });
  return out;
}

/** Canonical IPv6 text of sixteen bytes. */
export function ipv6Text(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return canonicalIPv6(groups.join(":")) ?? groups.join(":");
}

/**
 * Writes the four bytes of a dotted-quad IPv4 address at `offset` without allocating (the
 * encoder's hot path). Returns false, leaving the bytes undefined, when `text` is not a dotted quad.
 */
export function writeIPv4(text: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

/**
 * Writes the sixteen bytes of an IPv6 address at `offset` without allocating in the common case
 * (hex groups with at most one "::"). Returns false when `text` is not an IPv6 address.
 */
export function writeIPv6(text: string, out: Uint8Array, offset: number): boolean {
  if (text.includes(".")) {
    // Embedded IPv4 tail: rare, so take the slow road through the canonical form.
    const canonical = canonicalIPv6(text);
    return canonical !== undefined && !canonical.includes(".") && writeIPv6(canonical, out, offset);
  }
  const gap = text.indexOf("::");
  if (gap !== -1 && text.indexOf("::", gap + 1) !== -1) return false;
  const headEnd = gap === -1 ? text.length : gap;
  const head = writeHexGroups(text, 0, headEnd, out, offset, 8);
  if (head < 0) return false;
  if (gap === -1) return head === 8;
  const tailText = text.length - (gap + 2);
  // Count tail groups first so they can be written right-aligned.
  let tailGroups = 0;
  if (tailText > 0) {
    tailGroups = 1;
    for (let i = gap + 2; i < text.length; i++) if (text.charCodeAt(i) === 0x3a) tailGroups++;
  }
  if (head + tailGroups > 7) return false;
  out.fill(0, offset + head * 2, offset + (8 - tailGroups) * 2);
  if (tailGroups === 0) return true;
  const tail = writeHexGroups(text, gap + 2, text.length, out, offset + (8 - tailGroups) * 2, 8);
  return tail === tailGroups;
}

/** Writes ":"-separated hex groups of text[start, end) as 16-bit values; returns how many, or -1. */
function writeHexGroups(
  text: string,
  start: number,
  end: number,
  out: Uint8Array,
  offset: number,
  maxGroups: number,
): number {
  if (start === end) return 0;
  let groups = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x3a;
    let nibble = -1;
    if (c >= 0x30 && c <= 0x39) nibble = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) nibble = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) nibble = c - 0x37;
    if (nibble >= 0) {
      value = (value << 4) | nibble;
      if (++digits > 4) return -1;
    } else if (c === 0x3a) {
      if (digits === 0 || groups >= maxGroups) return -1;
      out[offset + groups * 2] = value >> 8;
      out[offset + groups * 2 + 1] = value & 0xff;
      groups++;
      value = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return groups;
}
