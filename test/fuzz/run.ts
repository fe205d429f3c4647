// The long-form codec fuzzer (`npm run fuzz`): mutation inputs and pure random bytes through
// parseQuery and QueryPolicy with the invariants of codec.fuzz.ts, for FUZZ_SECONDS (default 60).
// Prints inputs/s and totals per outcome and mutation kind; any failing input is written to
// test/fuzz/corpus/ (replayed by test/unit/wire/fuzz.test.ts) and the exit status is 1.
//
//   FUZZ_SECONDS=600 FUZZ_SEED=42 npm run fuzz

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CodecOracle, FuzzFailure, type FuzzOutcome } from "./codec.fuzz.js";
import { mutate, Prng, seedQueries, toHex, type MutationKind } from "./mutate.js";

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), "corpus");
const seconds = Number(process.env.FUZZ_SECONDS ?? "60");
const seed = Number(process.env.FUZZ_SEED ?? String(Date.now() % 0x7fffffff));
const maxFailures = Number(process.env.FUZZ_MAX_FAILURES ?? "20");
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error("FUZZ_SECONDS must be > 0");

const oracle = new CodecOracle();
const seeds = seedQueries();
const rng = new Prng(seed);
const outcomes: Record<FuzzOutcome, number> = { dropped: 0, notimp: 0, formerr: 0, answered: 0 };
const byKind = new Map<MutationKind, number>();
const failures = new Map<string, { invariant: string; input: Uint8Array }>();
let inputs = 0;

function save(failure: FuzzFailure, kinds: readonly MutationKind[]): void {
  const digest = createHash("sha256").update(failure.input).digest("hex").slice(0, 16);
  if (failures.has(digest)) return;
  failures.set(digest, { invariant: failure.invariant, input: failure.input });
  mkdirSync(CORPUS, { recursive: true });
  const file = path.join(CORPUS, `found-${digest}.hex`);
  writeFileSync(
    file,
    `# ${failure.invariant}\n# seed ${seed}, input ${inputs}, mutations ${kinds.join(",")}\n${toHex(failure.input)}\n`,
  );
  console.log(`FAIL ${failure.message}\n  saved ${path.relative(process.cwd(), file)}`);
}

const started = performance.now();
const deadline = started + seconds * 1000;
let lastReport = started;
console.log(`fuzzing the codec for ${seconds} s, seed ${seed} (FUZZ_SEED=${seed} replays it)`);
while (performance.now() < deadline && failures.size < maxFailures) {
  // Check the clock every 4096 inputs: performance.now() costs more than a short input.
  for (let i = 0; i < 4096; i++) {
    const { bytes, kinds } = mutate(rng, seeds);
    inputs++;
    for (const kind of kinds) byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    try {
      outcomes[oracle.check(bytes)]++;
    } catch (error) {
      if (!(error instanceof FuzzFailure)) throw error;
      save(error, kinds);
    }
  }
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    const rate = Math.round(inputs / ((now - started) / 1000));
    console.log(`  ${inputs.toLocaleString("en")} inputs, ${rate.toLocaleString("en")}/s`);
  }
}
const elapsed = (performance.now() - started) / 1000;
console.log(
  JSON.stringify(
    {
      seed,
      seconds: Math.round(elapsed * 10) / 10,
      inputs,
      inputsPerSecond: Math.round(inputs / elapsed),
      outcomes,
      mutations: Object.fromEntries(byKind),
      failures: failures.size,
    },
    null,
    2,
  ),
);
process.exitCode = failures.size === 0 ? 0 : 1;
