// The codec-level fuzz oracle, shared by the bounded slice in `npm test`
// (test/unit/wire/fuzz.test.ts) and the long form (`npm run fuzz`, test/fuzz/run.ts).
// One packet in; it throws a FuzzFailure naming the broken invariant, or returns what happened.
//
// Invariants (spec §4):
// - parseQuery never throws and returns one of its four kinds;
// - QueryPolicy.respond never throws; it drops exactly the datagrams shorter than 12 bytes and
//   the responses (QR=1), and answers everything else;
// - every reply decodes with the full decoder (decodeMessage), has QR=1, the query's ID and
//   opcode, RA=0, Z=0, AD=0, and fits its budget (512 without EDNS, else
//   min(max(advertised, 512), server max); 65535 over TCP);
// - TC=1 only when answer records were cut: the TCP reply to the same packet has more answers;
//   a reply without TC has every answer the TCP reply has;
// - an OPT in the reply exactly when the query was accepted with one;
// - a query's question is echoed byte for byte (uncompressed);
// - a second identical query (the answer-cache path) gets the same bytes.
// The TCP and repeat checks run for accepted queries only: other replies carry no records.

import { parseQuery, type ParsedQuery } from "../../src/wire/decode.js";
import { decodeMessage, type DecodedMessage } from "../../src/wire/message.js";
import { RRType } from "../../src/wire/types.js";
import { AnswerCache } from "../../src/server/cache.js";
import { QueryPolicy, type Transport } from "../../src/server/policy.js";
import type { ObjectSet } from "../../src/source/store.js";
import { parseObject } from "../../src/zone/objects.js";
import { buildSnapshot, type Snapshot } from "../../src/zone/snapshot.js";
import { objectKey, type EndpointSlice, type ServiceImport } from "../../src/zone/types.js";
import { specObjects, ZONE } from "../support/spec-fixture.js";
import { toHex } from "./mutate.js";

export const MAX_UDP_PAYLOAD = 1232;
const PLAIN_UDP = 512;
const TCP_MAX = 65535;
const KINDS = new Set<ParsedQuery["kind"]>(["drop", "notimp", "formerr", "query"]);

export class FuzzFailure extends Error {
  constructor(
    readonly invariant: string,
    readonly input: Uint8Array,
    cause?: unknown,
  ) {
    const why = cause instanceof Error ? `: ${cause.message}` : "";
    super(`${invariant}${why} (input ${toHex(input)})`, { cause });
  }
}

/** The spec fixture as a snapshot, built the way the publisher builds one. */
export function fixtureSnapshot(): Snapshot {
  const imports = new Map<string, ServiceImport>();
  const slices = new Map<string, EndpointSlice>();
  for (const raw of specObjects()) {
    const object = parseObject(raw)?.object;
    if (object === undefined) continue;
    if (object.kind === "ServiceImport") imports.set(objectKey(object), object);
    else if (object.kind === "EndpointSlice") slices.set(objectKey(object), object);
  }
  const objects: ObjectSet = { imports, slices, clusterProperties: new Map() };
  return buildSnapshot(objects, { zone: ZONE, ttl: 5, nsAddresses: [] }, 1, 1);
}

/** A policy as src/app.ts builds one, over the fixture snapshot, with a small answer cache. */
export function fixturePolicy(cacheBytes = 1024 * 1024): QueryPolicy {
  const snapshot = fixtureSnapshot();
  return new QueryPolicy(
    { zone: ZONE, maxUdpPayload: MAX_UDP_PAYLOAD, serverId: "fuzz", nsid: "fuzz-ns1" },
    { current: snapshot },
    new AnswerCache({ maxBytes: cacheBytes }),
  );
}

export type FuzzOutcome = "dropped" | "notimp" | "formerr" | "answered";

function expectedBudget(parsed: ParsedQuery, transport: Transport): number {
  if (transport === "tcp") return TCP_MAX;
  if (parsed.kind !== "query" || parsed.edns === undefined) return PLAIN_UDP;
  return Math.min(Math.max(parsed.edns.udpPayloadSize, PLAIN_UDP), MAX_UDP_PAYLOAD);
}

const hasOpt = (message: DecodedMessage): boolean =>
  message.additional.some((record) => record.data.type === RRType.OPT);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export class CodecOracle {
  constructor(private readonly policy: QueryPolicy = fixturePolicy()) {}

  check(input: Uint8Array): FuzzOutcome {
    const fail = (invariant: string, cause?: unknown): never => {
      throw new FuzzFailure(invariant, input, cause);
    };
    let parsed: ParsedQuery;
    try {
      parsed = parseQuery(input);
    } catch (error) {
      return fail("parseQuery threw", error);
    }
    if (!KINDS.has(parsed.kind)) fail(`parseQuery returned kind ${String(parsed.kind)}`);
    const mustDrop = input.length < 12 || (input[2]! & 0x80) !== 0;
    if (mustDrop !== (parsed.kind === "drop")) {
      fail(mustDrop ? "a short datagram or a response was not dropped" : "a query was dropped");
    }

    const udp = this.respond(input, "udp", parsed, fail);
    if (udp === undefined || parsed.kind === "drop") return "dropped";
    // Header-only and FORMERR replies carry no records: TCP and the cache add nothing to check.
    if (parsed.kind !== "query") return parsed.kind;
    const tcp = this.respond(input, "tcp", parsed, fail);
    if (tcp === undefined) return fail("answered over UDP but dropped over TCP");

    if (udp.message.header.tc) {
      if (!(tcp.message.answer.length > udp.message.answer.length))
        fail("TC=1 although no answer record was cut");
    } else if (udp.message.answer.length !== tcp.message.answer.length) {
      fail("answer records cut without TC=1");
    }
    if (tcp.message.header.tc) fail("TC=1 over TCP");

    // The second ask goes through the answer cache (for queries); it must not differ.
    const again = this.policy.respond(input, "udp").reply;
    if (again === undefined || !sameBytes(again, udp.bytes))
      fail("a repeated query got different bytes (answer cache)");

    return "answered";
  }

  private respond(
    input: Uint8Array,
    transport: Transport,
    parsed: ParsedQuery,
    fail: (invariant: string, cause?: unknown) => never,
  ): { bytes: Uint8Array; message: DecodedMessage } | undefined {
    let reply: Uint8Array | undefined;
    try {
      reply = this.policy.respond(input, transport).reply;
    } catch (error) {
      return fail(`QueryPolicy.respond threw (${transport})`, error);
    }
    if (parsed.kind === "drop") {
      if (reply !== undefined) fail(`replied to a dropped packet (${transport})`);
      return undefined;
    }
    if (reply === undefined) return fail(`no reply (${transport})`);
    let message: DecodedMessage;
    try {
      message = decodeMessage(reply);
    } catch (error) {
      return fail(`reply does not decode (${transport})`, error);
    }
    const { header } = message;
    const query = parsed.header;
    if (!header.qr) fail("reply without QR");
    if (header.id !== query.id) fail("ID not echoed");
    if (header.opcode !== query.opcode) fail("opcode not echoed");
    if (header.ra || header.z || header.ad) fail("RA, Z or AD set in a reply");
    const budget = expectedBudget(parsed, transport);
    if (reply.length > budget) fail(`reply of ${reply.length} bytes over the budget ${budget}`);
    if (parsed.kind === "notimp" && (header.aa || header.tc || header.rd || header.cd))
      fail("NOTIMP with a flag set");
    if (parsed.kind === "notimp" && reply.length !== 12) fail("NOTIMP with a body");
    if (parsed.kind === "query") {
      if (hasOpt(message) !== (parsed.edns !== undefined))
        fail("OPT in the reply does not match OPT in the query");
      if (header.rd !== query.rd || header.cd !== query.cd) fail("RD or CD not copied");
      const question = parsed.questionBytes;
      if (header.qdcount !== 1 || !sameBytes(reply.subarray(12, 12 + question.length), question))
        fail("question not echoed");
    }
    return { bytes: reply, message };
  }
}
