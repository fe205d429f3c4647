// Query → reply policy of an authoritative server (spec §3–§4): what is dropped, refused,
// malformed or not implemented, how big a reply may be, and the authoritative answer for the
// rest. Synchronous and transport-agnostic: udp.ts and tcp.ts only frame bytes.

import { CommonQuery, parseQuery, scanCommonQuery } from "../wire/decode.js";
import { encodeReply, type ReplyMessage } from "../wire/encode.js";
import {
  EdnsOption,
  Rcode,
  RRClass,
  RRType,
  type Edns,
  type EdnsOptionData,
  type ResourceRecord,
} from "../wire/types.js";
import { inZone, lookup } from "../zone/lookup.js";
import type { Snapshot } from "../zone/snapshot.js";
import type { AddressAcl } from "./acl.js";
import { AnswerCache } from "./cache.js";
import { encodeTransfer } from "./transfer.js";

export type Transport = "udp" | "tcp";

export interface PolicyOptions {
  /** Served zone, lower case, no trailing dot. */
  zone: string;
  /** Largest UDP reply we send even to clients advertising more (RFC 9715's 1232 by default). */
  maxUdpPayload: number;
  /** Answers CH TXT id.server / hostname.bind with this text when set. */
  serverId?: string | undefined;
  /** EDNS NSID (RFC 5001) sent to clients that ask for it; undefined = never. */
  nsid?: string | undefined;
  /** Clients allowed AXFR/IXFR over TCP; undefined or empty = nobody. */
  allowTransfer?: AddressAcl | undefined;
}

export interface SnapshotSource {
  /** Undefined until every source synced once: every in-zone query is SERVFAIL until then. */
  readonly current: Snapshot | undefined;
}

/** What happened to one packet: the reply bytes (undefined = dropped) and what to count. */
export interface Outcome {
  reply: Uint8Array | undefined;
  /** Full rcode of the reply, -1 when dropped. */
  rcode: number;
  /** QTYPE, 0 when no question could be read. */
  qtype: number;
  dropReason?: "short" | "response";
  /** A zone transfer: every message in order (`reply` is the first). TCP only. */
  stream?: Uint8Array[];
}

const NO_RECORDS: readonly ResourceRecord[] = Object.freeze([]);
const TCP_MAX = 65535;
const QUESTION_OFFSET = 12;
const PLAIN_UDP_MAX = 512;
const EDNS_DO = 1;
const EDNS_PRESENT = 2;
const EDNS_NSID = 4;

const CHAOS_ID_NAMES = new Set(["id.server", "hostname.bind"]);

export class QueryPolicy {
  private readonly nsidOption: readonly EdnsOptionData[];
  /** Reused by every fast-path scan (respond is synchronous, so one is enough). */
  private readonly common = new CommonQuery();

  constructor(
    private readonly options: PolicyOptions,
    private readonly snapshots: SnapshotSource,
    private readonly cache: AnswerCache,
  ) {
    this.nsidOption =
      options.nsid === undefined
        ? []
        : [{ code: EdnsOption.NSID, data: new TextEncoder().encode(options.nsid) }];
  }

  /** `client` is the sender's address, used only to decide zone transfers. */
  respond(packet: Uint8Array, transport: Transport, client = ""): Outcome {
    return this.cachedAnswer(packet, transport) ?? this.respondParsed(packet, transport, client);
  }

  /**
   * The fast path: a common query (see scanCommonQuery) whose answer is cached, without decoding
   * the message into objects or the name into text. Undefined when the packet is not of that
   * shape or the answer is not cached; the full path then decides (and counts the miss). A hit
   * here gives the same bytes as the full path: an answer is only cached for an answerable
   * query (in zone, IN, not a transfer, EDNS version 0), which the key (lower-cased name, type,
   * class, budget, EDNS bits) determines, and the version is checked below.
   */
  private cachedAnswer(packet: Uint8Array, transport: Transport): Outcome | undefined {
    const query = this.common;
    if (!scanCommonQuery(packet, query)) return undefined;
    const snapshot = this.snapshots.current;
    if (snapshot === undefined || query.ednsVersion !== 0) return undefined;
    let budget = PLAIN_UDP_MAX;
    let ednsBits = 0;
    if (transport === "tcp") budget = TCP_MAX;
    if (query.edns) {
      if (transport !== "tcp")
        budget = Math.min(
          Math.max(query.udpPayloadSize, PLAIN_UDP_MAX),
          this.options.maxUdpPayload,
        );
      ednsBits =
        EDNS_PRESENT |
        (query.dnssecOk ? EDNS_DO : 0) |
        (query.nsid && this.nsidOption.length > 0 ? EDNS_NSID : 0);
    }
    const key = AnswerCache.key(
      packet,
      QUESTION_OFFSET,
      query.nameEnd,
      query.qtype,
      query.qclass,
      budget,
      ednsBits,
    );
    const reply = this.cache.lookup(
      snapshot.generation,
      key,
      query.id,
      query.rd,
      query.cd,
      packet,
      QUESTION_OFFSET,
      query.questionEnd,
    );
    if (reply === undefined) return undefined;
    return { reply, rcode: reply[3]! & 0x0f, qtype: query.qtype };
  }

  private respondParsed(packet: Uint8Array, transport: Transport, client: string): Outcome {
    const parsed = parseQuery(packet);
    switch (parsed.kind) {
      case "drop":
        return { reply: undefined, rcode: -1, qtype: 0, dropReason: parsed.reason };
      case "notimp":
        // Every flag but QR clear, no question, no records (spec §4).
        return this.bare(
          {
            id: parsed.header.id,
            opcode: parsed.header.opcode,
            aa: false,
            rd: false,
            cd: false,
            rcode: Rcode.NOTIMP,
            question: undefined,
          },
          0,
        );
      case "formerr":
        return this.bare(
          {
            id: parsed.header.id,
            opcode: parsed.header.opcode,
            aa: false,
            rd: parsed.header.rd,
            cd: false,
            rcode: Rcode.FORMERR,
            question: parsed.question && { bytes: parsed.question, nameLower: "" },
          },
          0,
        );
      case "query":
        break;
    }

    const { header, question, questionBytes, edns } = parsed;
    const budget = this.budget(transport, edns);
    const qtype = question.type;
    const nsid = edns !== undefined && this.nsidOption.length > 0 && wantsNsid(edns);

    // Hot path first: an in-zone IN query after sync whose answer is cached costs one key, one
    // lookup and one copy; the reply template below is only built when something must be encoded.
    const snapshot = this.snapshots.current;
    const answerable =
      (edns === undefined || edns.version === 0) &&
      question.class === RRClass.IN &&
      qtype !== RRType.AXFR &&
      qtype !== RRType.IXFR &&
      inZone(question.nameLower, this.options.zone);
    let key: string | undefined;
    if (answerable && snapshot !== undefined) {
      key = AnswerCache.key(
        questionBytes,
        0,
        questionBytes.length - 4,
        qtype,
        question.class,
        budget,
        edns === undefined
          ? 0
          : EDNS_PRESENT | (edns.dnssecOk ? EDNS_DO : 0) | (nsid ? EDNS_NSID : 0),
      );
      const cached = this.cache.get(
        snapshot.generation,
        key,
        header.id,
        header.rd,
        header.cd,
        questionBytes,
        0,
        questionBytes.length,
      );
      if (cached !== undefined) return { reply: cached, rcode: cached[3]! & 0x0f, qtype };
    }

    const reply: Omit<ReplyMessage, "rcode" | "aa" | "maxSize"> = {
      id: header.id,
      opcode: header.opcode,
      rd: header.rd,
      cd: header.cd,
      question: { bytes: questionBytes, nameLower: question.nameLower },
      answer: NO_RECORDS,
      authority: NO_RECORDS,
      additional: NO_RECORDS,
      edns: edns && {
        udpPayloadSize: this.options.maxUdpPayload,
        dnssecOk: edns.dnssecOk,
        options: nsid ? this.nsidOption : [],
      },
    };

    if (edns !== undefined && edns.version > 0) {
      return this.encoded({ ...reply, aa: false, rcode: Rcode.BADVERS, maxSize: budget }, qtype);
    }
    if (question.class !== RRClass.IN) {
      return this.encoded(
        this.chaos(reply, question.class, qtype, question.nameLower, budget),
        qtype,
      );
    }
    if (!answerable) {
      if ((qtype === RRType.AXFR || qtype === RRType.IXFR) && snapshot !== undefined) {
        const transfer = this.transfer(
          snapshot,
          transport,
          client,
          header,
          question.nameLower,
          questionBytes,
        );
        if (transfer !== undefined)
          return { reply: transfer[0], rcode: Rcode.NOERROR, qtype, stream: transfer };
      }
      return this.encoded({ ...reply, aa: false, rcode: Rcode.REFUSED, maxSize: budget }, qtype);
    }
    if (snapshot === undefined || key === undefined) {
      return this.encoded({ ...reply, aa: false, rcode: Rcode.SERVFAIL, maxSize: budget }, qtype);
    }

    const result = lookup(snapshot, question.nameLower, qtype);
    const bytes = encodeReply({
      ...reply,
      aa: true,
      rcode: result.rcode,
      answer: result.answer,
      authority: result.authority,
      additional: result.additional,
      maxSize: budget,
    });
    this.cache.set(snapshot.generation, key, bytes);
    return { reply: bytes, rcode: result.rcode, qtype };
  }

  /** The zone in AXFR form, for a listed client over TCP asking at the apex; else undefined. */
  private transfer(
    snapshot: Snapshot,
    transport: Transport,
    client: string,
    header: { id: number; rd: boolean; cd: boolean },
    nameLower: string,
    questionBytes: Uint8Array,
  ): Uint8Array[] | undefined {
    const acl = this.options.allowTransfer;
    if (transport !== "tcp" || nameLower !== this.options.zone || acl === undefined)
      return undefined;
    if (!acl.allows(client)) return undefined;
    return encodeTransfer(snapshot, {
      id: header.id,
      rd: header.rd,
      cd: header.cd,
      question: { bytes: questionBytes, nameLower },
    });
  }

  /** UDP payload limit = min(max(advertised, 512), server max); 512 without EDNS; TCP 65535. */
  private budget(transport: Transport, edns: Edns | undefined): number {
    if (transport === "tcp") return TCP_MAX;
    if (edns === undefined) return PLAIN_UDP_MAX;
    return Math.min(Math.max(edns.udpPayloadSize, PLAIN_UDP_MAX), this.options.maxUdpPayload);
  }

  private chaos(
    reply: Omit<ReplyMessage, "rcode" | "aa" | "maxSize">,
    qclass: number,
    qtype: number,
    nameLower: string,
    budget: number,
  ): ReplyMessage {
    const serverId = this.options.serverId;
    const answerable =
      serverId !== undefined &&
      qclass === RRClass.CH &&
      (qtype === RRType.TXT || qtype === RRType.ANY) &&
      CHAOS_ID_NAMES.has(nameLower);
    if (!answerable) return { ...reply, aa: false, rcode: Rcode.REFUSED, maxSize: budget };
    const record: ResourceRecord = {
      name: nameLower,
      ttl: 0,
      class: RRClass.CH,
      data: { type: RRType.TXT, strings: [serverId] },
    };
    return { ...reply, aa: true, rcode: Rcode.NOERROR, answer: [record], maxSize: budget };
  }

  private bare(
    reply: Pick<ReplyMessage, "id" | "opcode" | "aa" | "rd" | "cd" | "rcode" | "question">,
    qtype: number,
  ): Outcome {
    return this.encoded(
      {
        ...reply,
        answer: NO_RECORDS,
        authority: NO_RECORDS,
        additional: NO_RECORDS,
        edns: undefined,
        maxSize: PLAIN_UDP_MAX,
      },
      qtype,
    );
  }

  private encoded(message: ReplyMessage, qtype: number): Outcome {
    return { reply: encodeReply(message), rcode: message.rcode, qtype };
  }
}

function wantsNsid(edns: Edns): boolean {
  for (const option of edns.options) if (option.code === EdnsOption.NSID) return true;
  return false;
}
