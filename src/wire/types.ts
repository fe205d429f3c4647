// Shared DNS vocabulary: the codec, the zone model and the server all speak these types.
// Names are plain strings: labels joined by ".", no trailing dot, the root is "".
// Zone data is always lower case; a question name keeps the case it was sent in.

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, CH: 3, NONE: 254, ANY: 255 } as const;

export const Opcode = { QUERY: 0 } as const;

/** Response codes; values above 15 are extended (EDNS) rcodes. */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

export const EdnsOption = { NSID: 3 } as const;

export interface Header {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface Question {
  /** As sent (case kept); a label holding "." or "\\" or a byte outside 0x21..0x7e is escaped as \DDD or \., so it can never equal a zone name. */
  name: string;
  /** `name` with ASCII A-Z folded to a-z: the key for every lookup. */
  nameLower: string;
  type: number;
  class: number;
}

export interface EdnsOptionData {
  code: number;
  data: Uint8Array;
}

export interface Edns {
  udpPayloadSize: number;
  extendedRcode: number;
  version: number;
  dnssecOk: boolean;
  /** The 16-bit flags field including DO, as sent. */
  flags: number;
  options: EdnsOptionData[];
}

export type RecordData =
  | { type: typeof RRType.A; address: string }
  | { type: typeof RRType.AAAA; address: string }
  | { type: typeof RRType.NS; host: string }
  | {
      type: typeof RRType.SOA;
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    }
  | { type: typeof RRType.TXT; strings: string[] }
  | { type: typeof RRType.SRV; priority: number; weight: number; port: number; target: string };

export interface ResourceRecord {
  /** Owner name, lower case (zone spelling). */
  name: string;
  ttl: number;
  /** Always IN for zone data; CH for the optional id.server answers. */
  class: number;
  data: RecordData;
}
