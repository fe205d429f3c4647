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
