// Hand-built DNS messages for malformed and unusual input, written byte by byte so they do
// not depend on any codec (ours or dns2's).

export function encodeName(name: string): number[] {
  const bytes: number[] = [];
  for (const label of name.split(".").filter((l) => l.length > 0)) {
    bytes.push(label.length, ...Buffer.from(label, "latin1"));
  }
  bytes.push(0);
  return bytes;
}

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [
  (n >>> 24) & 0xff,
  (n >> 16) & 0xff,
  (n >> 8) & 0xff,
  n & 0xff,
];

export interface RawHeader {
  id?: number;
  qr?: boolean;
  opcode?: number;
  aa?: boolean;
  tc?: boolean;
  rd?: boolean;
  ra?: boolean;
  z?: boolean;
  ad?: boolean;
  cd?: boolean;
  rcode?: number;
  qdcount?: number;
  ancount?: number;
  nscount?: number;
  arcount?: number;
}

export function header(h: RawHeader): number[] {
  const byte2 =
    (h.qr ? 0x80 : 0) |
    ((h.opcode ?? 0) << 3) |
    (h.aa ? 0x04 : 0) |
    (h.tc ? 0x02 : 0) |
    (h.rd ? 0x01 : 0);
  const byte3 =
    (h.ra ? 0x80 : 0) | (h.z ? 0x40 : 0) | (h.ad ? 0x20 : 0) | (h.cd ? 0x10 : 0) | (h.rcode ?? 0);
  return [
    ...u16(h.id ?? 0x1234),
    byte2,
    byte3,
    ...u16(h.qdcount ?? 1),
    ...u16(h.ancount ?? 0),
    ...u16(h.nscount ?? 0),
    ...u16(h.arcount ?? 0),
  ];
}

export function question(name: string, type = 1, qclass = 1): number[] {
  return [...encodeName(name), ...u16(type), ...u16(qclass)];
}

/** An OPT pseudo-record; `owner` is normally the root. */
export function opt(
  o: {
    udpPayloadSize?: number;
    version?: number;
    do?: boolean;
    flags?: number;
    options?: { code: number; data: number[] }[];
    owner?: string;
  } = {},
): number[] {
  const rdata = (o.options ?? []).flatMap((option) => [
    ...u16(option.code),
    ...u16(option.data.length),
    ...option.data,
  ]);
  const flags = (o.flags ?? 0) | (o.do ? 0x8000 : 0);
  return [
    ...encodeName(o.owner ?? ""),
    ...u16(41),
    ...u16(o.udpPayloadSize ?? 1232),
    ...u32((((o.version ?? 0) & 0xff) << 16) | (flags & 0xffff)),
    ...u16(rdata.length),
    ...rdata,
  ];
}

export function packet(...parts: number[][]): Buffer {
  return Buffer.from(parts.flat());
}

/** Decoded header fields of a reply, straight from the bytes. */
export function replyHeader(reply: Buffer): Required<RawHeader> {
  const b2 = reply[2]!;
  const b3 = reply[3]!;
  return {
    id: reply.readUInt16BE(0),
    qr: (b2 & 0x80) !== 0,
    opcode: (b2 >> 3) & 0x0f,
    aa: (b2 & 0x04) !== 0,
    tc: (b2 & 0x02) !== 0,
    rd: (b2 & 0x01) !== 0,
    ra: (b3 & 0x80) !== 0,
    z: (b3 & 0x40) !== 0,
    ad: (b3 & 0x20) !== 0,
    cd: (b3 & 0x10) !== 0,
    rcode: b3 & 0x0f,
    qdcount: reply.readUInt16BE(4),
    ancount: reply.readUInt16BE(6),
    nscount: reply.readUInt16BE(8),
    arcount: reply.readUInt16BE(10),
  };
}
