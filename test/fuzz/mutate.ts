// A seeded mutation fuzzer for DNS messages: the same seed gives the same inputs, so any failure
// can be replayed from its seed and index (and then kept as a hex file in corpus/). Mutations
// aim at the places a DNS decoder goes wrong: header counts, label lengths, compression
// pointers, truncation, plus plain bit noise and random bytes.

import { encodeQuery } from "../../src/wire/message.js";
import { RRClass, RRType } from "../../src/wire/types.js";
import { Prng } from "../support/prng.js";

export { Prng };

const HEADER = 12;

/** Names the fuzzer starts from: in the zone, outside it, deep, mixed case, the apex. */
const SEED_NAMES = [
  "clusterset.local",
  "v4svc.ns.svc.clusterset.local",
  "DuAl.Ns.SvC.ClusterSet.Local",
  "hl.ns.svc.clusterset.local",
  "pod-0.c1.hl.ns.svc.clusterset.local",
  "_http._tcp.hl.ns.svc.clusterset.local",
  "big.ns.svc.clusterset.local",
  "nosuch.ns.svc.clusterset.local",
  "a.b.c.d.e.f.nosuch.clusterset.local",
  "dns-version.clusterset.local",
  "example.com",
  "",
];
const SEED_TYPES = [
  RRType.A,
  RRType.AAAA,
  RRType.SRV,
  RRType.TXT,
  RRType.SOA,
  RRType.NS,
  RRType.ANY,
  RRType.AXFR,
  666,
];

/** Well-formed queries to mutate: every name × a few types, with and without EDNS. */
export function seedQueries(): Uint8Array[] {
  const seeds: Uint8Array[] = [];
  let id = 1;
  for (const name of SEED_NAMES) {
    for (const type of SEED_TYPES) {
      seeds.push(encodeQuery({ id: id++, name, type }));
      seeds.push(
        encodeQuery({
          id: id++,
          name,
          type,
          edns: {
            udpPayloadSize: type === RRType.ANY ? 512 : 4096,
            dnssecOk: (id & 1) === 0,
            // A cookie (ignored) on all, NSID (answered) on every other one.
            options: [
              { code: 10, data: new Uint8Array(8).fill(7) },
              ...((id & 2) === 0 ? [{ code: 3, data: new Uint8Array() }] : []),
            ],
          },
        }),
      );
    }
  }
  seeds.push(encodeQuery({ id, name: "id.server", type: RRType.TXT, class: RRClass.CH }));
  return seeds;
}

export type MutationKind =
  | "bitflip"
  | "byteset"
  | "insert"
  | "delete"
  | "truncate"
  | "counts"
  | "pointerloop"
  | "pointerforward"
  | "labeloverrun"
  | "extendlabel"
  | "splice"
  | "random";

export const MUTATION_KINDS: readonly MutationKind[] = [
  "bitflip",
  "byteset",
  "insert",
  "delete",
  "truncate",
  "counts",
  "pointerloop",
  "pointerforward",
  "labeloverrun",
  "extendlabel",
  "splice",
  "random",
];

const INTERESTING_U16 = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];

function setU16(packet: Uint8Array, at: number, value: number): void {
  if (at + 1 >= packet.length) return;
  packet[at] = (value >> 8) & 0xff;
  packet[at + 1] = value & 0xff;
}

function withBytes(packet: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(packet.length - remove + insert.length);
  out.set(packet.subarray(0, at));
  out.set(insert, at);
  out.set(packet.subarray(at + remove), at + insert.length);
  return out;
}

/** Offsets of the length bytes of the question name's labels (stops at the root or a pointer). */
function labelOffsets(packet: Uint8Array): number[] {
  const offsets: number[] = [];
  let pos = HEADER;
  while (pos < packet.length && offsets.length < 128) {
    const length = packet[pos]!;
    if (length === 0 || length >= 0x40) break;
    offsets.push(pos);
    pos += 1 + length;
  }
  return offsets;
}

/** One mutation of `input` (never modified); the result may be any length, including 0. */
export function mutateOnce(
  rng: Prng,
  input: Uint8Array,
  kind: MutationKind,
  others: readonly Uint8Array[],
): Uint8Array {
  const packet = input.slice();
  const anywhere = (): number => rng.below(Math.max(packet.length, 1));
  switch (kind) {
    case "bitflip": {
      if (packet.length === 0) return packet;
      const flips = 1 + rng.below(4);
      for (let i = 0; i < flips; i++) {
        const at = anywhere();
        packet[at] = packet[at]! ^ (1 << rng.below(8));
      }
      return packet;
    }
    case "byteset": {
      if (packet.length === 0) return packet;
      packet[anywhere()] = rng.pick([0, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff, rng.next() & 0xff]);
      return packet;
    }
    case "insert":
      return withBytes(packet, rng.below(packet.length + 1), 0, rng.bytes(1 + rng.below(16)));
    case "delete": {
      if (packet.length === 0) return packet;
      const at = anywhere();
      return withBytes(
        packet,
        at,
        Math.min(1 + rng.below(8), packet.length - at),
        new Uint8Array(),
      );
    }
    case "truncate":
      return packet.subarray(0, rng.below(packet.length + 1)).slice();
    case "counts": {
      // QDCOUNT/ANCOUNT/NSCOUNT/ARCOUNT far beyond what the message holds.
      setU16(packet, 4 + 2 * rng.below(4), rng.pick(INTERESTING_U16));
      if (rng.chance(0.5)) setU16(packet, 4 + 2 * rng.below(4), rng.next() & 0xffff);
      return packet;
    }
    case "pointerloop": {
      // A pointer to itself, or two pointers pointing at each other.
      const offsets = labelOffsets(packet);
      const at = offsets.length > 0 ? rng.pick(offsets) : HEADER;
      if (at + 1 >= packet.length) return packet;
      if (rng.chance(0.5) || offsets.length < 2) {
        setU16(packet, at, 0xc000 | at);
      } else {
        const other = rng.pick(offsets);
        setU16(packet, at, 0xc000 | other);
        setU16(packet, other, 0xc000 | at);
      }
      return packet;
    }
    case "pointerforward": {
      // A pointer forward, past the end, into the header, or with the reserved 01/10 bits.
      const offsets = labelOffsets(packet);
      const at = offsets.length > 0 ? rng.pick(offsets) : HEADER;
      const flag = rng.pick([0xc000, 0x4000, 0x8000]);
      const target = rng.pick([0, 2, 11, packet.length, packet.length + 5, 0x3fff, at + 2]);
      setU16(packet, at, flag | (target & 0x3fff));
      return packet;
    }
    case "labeloverrun": {
      // A label length byte beyond the message, or in the 64..191 range no label may use.
      const offsets = labelOffsets(packet);
      const at = offsets.length > 0 ? rng.pick(offsets) : HEADER;
      if (at >= packet.length) return packet;
      packet[at] = rng.pick([63, 64, 0x7f, 0xbf, packet.length - at, packet.length - at + 1, 255]);
      return packet;
    }
    case "extendlabel": {
      // Grow the name past 255 bytes (or a label past 63) with repeated labels.
      const label = rng.chance(0.5) ? 63 : 1 + rng.below(64);
      const count = 1 + rng.below(8);
      const bytes: number[] = [];
      for (let i = 0; i < count; i++) bytes.push(label, ...new Array<number>(label).fill(0x61));
      return withBytes(packet, Math.min(HEADER, packet.length), 0, Uint8Array.from(bytes));
    }
    case "splice": {
      // The head of this message on the tail of another (e.g. a second question or OPT).
      const other = rng.pick(others);
      const cut = rng.below(packet.length + 1);
      const from = rng.below(other.length + 1);
      const out = new Uint8Array(cut + other.length - from);
      out.set(packet.subarray(0, cut));
      out.set(other.subarray(from), cut);
      return out;
    }
    case "random":
      return rng.bytes(rng.below(rng.chance(0.9) ? 64 : 600));
  }
}

export interface MutatedInput {
  bytes: Uint8Array;
  kinds: MutationKind[];
}

/**
 * The next input of a run: a seed query with 1–4 mutations. QR is cleared in most inputs, since
 * a response is dropped before anything else is read and would test little.
 */
export function mutate(rng: Prng, seeds: readonly Uint8Array[]): MutatedInput {
  let bytes = rng.pick(seeds);
  const kinds: MutationKind[] = [];
  // Half the inputs carry one mutation, so many stay close enough to a query to be answered.
  const rounds = rng.chance(0.5) ? 1 : 2 + rng.below(3);
  for (let i = 0; i < rounds; i++) {
    const kind = rng.pick(MUTATION_KINDS);
    kinds.push(kind);
    bytes = mutateOnce(rng, bytes, kind, seeds);
  }
  if (bytes.length > 2 && rng.chance(0.9)) bytes[2] = bytes[2]! & 0x7f;
  return { bytes, kinds };
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Hex with any whitespace and `#` comment lines ignored (the corpus file format). */
export function fromHex(text: string): Uint8Array {
  const hex = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("")
    .replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error("corpus file is not hex");
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
