import assert from "node:assert/strict";
import fc from "fast-check";
import { RouteTable } from "../../../src/zone/route-table.js";

type Op =
  { kind: "set"; key: string; value: number } | { kind: "delete"; key: string } | { kind: "done" };

const KEYS = 20;
const key = fc.constantFrom(...Array.from({ length: KEYS }, (_, i) => `k${i}`));
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("set" as const), key, value: fc.nat(99) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("delete" as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("done" as const) }) },
);

describe("RouteTable", () => {
  it("reads, in order, exactly like a Map under the same sets and deletes, and old tables never change (property)", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 400, size: "large" }),
        fc.constantFrom(0, 2, 5, 256),
        (ops, limit) => {
          const model = new Map<string, number>();
          let table = RouteTable.empty<number>(limit);
          let draft = table.edit();
          // Every table made so far, with what it held then.
          const made: { table: RouteTable<number>; entries: [string, number][] }[] = [];
          const check = (t: RouteTable<number>, expected: Map<string, number>): void => {
            assert.deepEqual([...t.entries()], [...expected]);
            assert.deepEqual([...t.values()], [...expected.values()]);
            assert.equal(t.size, expected.size);
            for (let i = 0; i < KEYS; i++) assert.equal(t.get(`k${i}`), expected.get(`k${i}`));
          };
          for (const step of ops) {
            if (step.kind === "set") {
              draft.set(step.key, step.value);
              model.set(step.key, step.value);
            } else if (step.kind === "delete") {
              draft.delete(step.key);
              model.delete(step.key);
            } else {
              table = draft.done();
              check(table, model);
              made.push({ table, entries: [...model] });
              draft = table.edit();
            }
            assert.equal(
              draft.get(step.kind === "done" ? "k0" : step.key),
              model.get(step.kind === "done" ? "k0" : step.key),
            );
          }
          table = draft.done();
          check(table, model);
          for (const { table: old, entries } of made) check(old, new Map(entries));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("folds a long run of changes into a new base and still reads like a Map", () => {
    const model = new Map<string, number>();
    let table = RouteTable.empty<number>();
    for (let round = 0; round < 40; round++) {
      const draft = table.edit();
      for (let i = 0; i < 50; i++) {
        const k = `svc-${(round * 37 + i * 11) % 700}`;
        if ((round + i) % 7 === 0) {
          draft.delete(k);
          model.delete(k);
        } else {
          draft.set(k, round * 100 + i);
          model.set(k, round * 100 + i);
        }
      }
      table = draft.done();
    }
    assert.deepEqual([...table.entries()], [...model]);
    assert.equal(table.size, model.size);
  });
});
