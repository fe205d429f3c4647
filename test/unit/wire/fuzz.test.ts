// The bounded slice of the codec fuzzer that runs in `npm test`: a fixed-seed mutation run,
// fast-check random bytes, and the regression corpus (test/fuzz/corpus/*.hex), all through the
// oracle of test/fuzz/codec.fuzz.ts. The long form is `npm run fuzz`.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parseQuery } from "../../../src/wire/decode.js";
import { encodeQuery } from "../../../src/wire/message.js";
import { CodecOracle, FuzzFailure, type FuzzOutcome } from "../../fuzz/codec.fuzz.js";
import {
  fromHex,
  mutate,
  mutateOnce,
  MUTATION_KINDS,
  Prng,
  seedQueries,
  toHex,
} from "../../fuzz/mutate.js";

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../fuzz/corpus");
const SLICE_INPUTS = 20_000;

describe("codec fuzzing (bounded slice)", function () {
  this.timeout(60_000);
  const oracle = new CodecOracle();

  it("the PRNG is deterministic per seed", () => {
    const a = new Prng(7);
    const b = new Prng(7);
    const c = new Prng(8);
    const run = (rng: Prng) => Array.from({ length: 5 }, () => rng.next());
    const first = run(a);
    assert.deepEqual(first, run(b));
    assert.notDeepEqual(first, run(c));
    assert.equal(new Set(Array.from({ length: 1000 }, () => a.below(10))).size, 10);
  });

  it("each mutation kind hits its target on a seed query", () => {
    const query = encodeQuery({ id: 1, name: "v4svc.ns.svc.clusterset.local", type: 1 });
    const reasons = (kind: (typeof MUTATION_KINDS)[number], tries = 50): Set<string> => {
      const rng = new Prng(3);
      const seen = new Set<string>();
      for (let i = 0; i < tries; i++) {
        const parsed = parseQuery(mutateOnce(rng, query, kind, [query]));
        seen.add(parsed.kind === "formerr" ? parsed.reason : parsed.kind);
      }
      return seen;
    };
    assert.ok(reasons("pointerloop").has("compression pointer loop"));
    assert.ok(reasons("labeloverrun").has("label runs past the end of the message"));
    assert.ok(reasons("extendlabel").has("name longer than 255 bytes"));
    assert.ok(reasons("counts").has("record counts exceed the message"));
    assert.ok(reasons("truncate").has("drop"));
  });

  it(`${SLICE_INPUTS} seeded mutations: no invariant broken`, () => {
    const rng = new Prng(0x5eed);
    const seeds = seedQueries();
    const outcomes: Record<FuzzOutcome, number> = {
      dropped: 0,
      notimp: 0,
      formerr: 0,
      answered: 0,
    };
    for (let i = 0; i < SLICE_INPUTS; i++) {
      const { bytes, kinds } = mutate(rng, seeds);
      try {
        outcomes[oracle.check(bytes)]++;
      } catch (error) {
        if (error instanceof FuzzFailure) {
          assert.fail(
            `input ${i} (${kinds.join(",")}) — add it to test/fuzz/corpus/: ${error.message}`,
          );
        }
        throw error;
      }
    }
    console.log(`      outcomes: ${JSON.stringify(outcomes)}`);
    // The mix must exercise every path, or the slice tests less than it claims.
    for (const [outcome, count] of Object.entries(outcomes))
      assert.ok(count > SLICE_INPUTS / 100, `${outcome}: only ${count}`);
  });

  it("fast-check: random bytes of any length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        oracle.check(bytes);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it("fast-check: a query header with QR=0 followed by random bytes", () => {
    const header = fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x7f }), fc.nat(0xff))
      .map(([id, flags, flags2]) => [id >> 8, id & 0xff, flags, flags2, 0, 1, 0, 0, 0, 0, 0, 1]);
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 300 }), (head, tail) => {
        oracle.check(Uint8Array.from([...head, ...tail]));
      }),
      { numRuns: 3000, seed: 12 },
    );
  });

  it("fast-check: a valid query with one byte replaced", () => {
    const query = encodeQuery({
      id: 9,
      name: "_http._tcp.hl.ns.svc.clusterset.local",
      type: 33,
      edns: { udpPayloadSize: 512, dnssecOk: true },
    });
    fc.assert(
      fc.property(fc.nat(query.length - 1), fc.nat(0xff), (at, value) => {
        const bytes = query.slice();
        bytes[at] = value;
        oracle.check(bytes);
      }),
      { numRuns: 2000, seed: 13 },
    );
  });

  it("the oracle catches a broken invariant (a reply to a response)", () => {
    const lying = new CodecOracle({
      respond: () => ({ reply: new Uint8Array(12), rcode: 0, qtype: 0 }),
    } as unknown as ConstructorParameters<typeof CodecOracle>[0]);
    const response = fromHex("123480000001000000000000000006000100");
    assert.throws(() => lying.check(response), /replied to a dropped packet/);
  });

  describe("regression corpus (test/fuzz/corpus)", () => {
    const files = readdirSync(CORPUS).filter((file) => file.endsWith(".hex"));
    it("holds the classic malformed shapes", () => {
      assert.ok(files.length >= 18, `only ${files.length} corpus files`);
    });
    for (const file of files) {
      it(file, () => {
        const bytes = fromHex(readFileSync(path.join(CORPUS, file), "utf8"));
        assert.equal(fromHex(toHex(bytes)).length, bytes.length);
        oracle.check(bytes);
      });
    }
  });
});
