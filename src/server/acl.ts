// Client address lists (e.g. who may transfer the zone), on node:net's BlockList.
// Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d; they are matched as IPv4.

import { BlockList, isIPv4, isIPv6 } from "node:net";

export interface Cidr {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

/** Parse "10.0.0.0/8" or "fd00::/8" or a bare address (a /32 or /128); undefined if invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = "", prefixText, ...rest] = text.trim().split("/");
  if (rest.length > 0) return undefined;
  const family = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
  if (family === undefined) return undefined;
  const max = family === "ipv4" ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family };
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

export class AddressAcl {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(cidrs: readonly Cidr[]) {
    for (const cidr of cidrs) this.list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    this.empty = cidrs.length === 0;
  }

  allows(address: string): boolean {
    if (this.empty) return false;
    const mapped = MAPPED_V4.exec(address);
    if (mapped !== null) return this.list.check(mapped[1]!, "ipv4");
    return this.list.check(address, isIPv4(address) ? "ipv4" : "ipv6");
  }
}
