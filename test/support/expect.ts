// Assertions shared by the end-to-end tests: one place says what "authoritative NOERROR",
// "NODATA" and "NXDOMAIN" look like on the wire (spec §3–§4).

import assert from "node:assert/strict";
import type { DecodedRecord, Reply } from "./dns-client.js";

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
};
export const ZONE = "clusterset.local";

/** Common header of every normal reply: QR=1, RA=0, AD=0, Z=0. */
export function assertReplyHeader(reply: Reply, rcode: number, aa: boolean): void {
  assert.equal(reply.header.qr, 1, "QR");
  assert.equal(reply.header.rcode, rcode, `rcode ${reply.header.rcode} ≠ ${rcode}`);
  assert.equal(reply.header.aa, aa ? 1 : 0, "AA");
  assert.equal(reply.header.ra, 0, "RA");
  assert.equal(reply.header.ad, 0, "AD");
  assert.equal(reply.header.z, 0, "Z");
}

function assertNegativeSoa(reply: Reply, ttl = 5): void {
  assert.equal(reply.answers.length, 0, "no answers");
  assert.equal(reply.authorities.length, 1, "one authority record");
  const soa = reply.authorities[0]!;
  assert.equal(soa.type, 6, "SOA in authority");
  assert.equal(soa.name, ZONE, "SOA owner in the zone's lower-case spelling");
  assert.equal(soa.ttl, ttl, "negative TTL = min(SOA TTL, MINIMUM)");
}

export function assertNoData(reply: Reply): void {
  assertReplyHeader(reply, RCODE.NOERROR, true);
  assertNegativeSoa(reply);
}

export function assertNxDomain(reply: Reply): void {
  assertReplyHeader(reply, RCODE.NXDOMAIN, true);
  assertNegativeSoa(reply);
}

export function assertAnswer(reply: Reply): void {
  assertReplyHeader(reply, RCODE.NOERROR, true);
  assert.ok(reply.answers.length > 0, "has answers");
}

export const addresses = (records: DecodedRecord[], type?: number): string[] =>
  records
    .filter((r) => type === undefined || r.type === type)
    .map((r) => r.address ?? "")
    .sort();

export const srvs = (records: DecodedRecord[]): string[] =>
  records
    .filter((r) => r.type === 33)
    .map((r) => `${r.priority} ${r.weight} ${r.port} ${r.target}`)
    .sort();
