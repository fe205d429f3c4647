import assert from "node:assert/strict";
import fc from "fast-check";
import { ipv6Text, writeIPv4, writeIPv6 } from "../../../src/wire/ip.js";

function v4(text: string): number[] | undefined {
  const out = new Uint8Array(6).fill(0xee);
  if (!writeIPv4(text, out, 1)) return undefined;
  assert.equal(out[0], 0xee, "wrote before the offset");
  assert.equal(out[5], 0xee, "wrote past the address");
  return Array.from(out.subarray(1, 5));
}

function v6(text: string): number[] | undefined {
  const out = new Uint8Array(18).fill(0xee);
  if (!writeIPv6(text, out, 1)) return undefined;
  assert.equal(out[0], 0xee, "wrote before the offset");
  assert.equal(out[17], 0xee, "wrote past the address");
  return Array.from(out.subarray(1, 17));
}

describe("wire/ip writeIPv4 / writeIPv6", () => {
  it("writes IPv4 addresses", () => {
    assert.deepEqual(v4("10.2.0.255"), [10, 2, 0, 255]);
    assert.deepEqual(v4("0.0.0.0"), [0, 0, 0, 0]);
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "1..2.3",
      "1.2.3.",
      "a.b.c.d",
      "1.2.3.4 ",
    ]) {
      assert.equal(v4(bad), undefined, bad);
    }
  });

  it("writes IPv6 addresses", () => {
    assert.deepEqual(v6("::"), new Array<number>(16).fill(0));
    assert.deepEqual(v6("::1"), [...new Array<number>(15).fill(0), 1]);
    assert.deepEqual(v6("fd00::"), [0xfd, 0, ...new Array<number>(14).fill(0)]);
    assert.deepEqual(
      v6("fd00:10:244::5"),
      [0xfd, 0, 0, 0x10, 2, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5],
    );
    assert.deepEqual(
      v6("2001:DB8:1:2:3:4:5:6"),
      [0x20, 1, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6],
    );
    assert.deepEqual(v6("::ffff:1.2.3.4"), [
      ...new Array<number>(10).fill(0),
      0xff,
      0xff,
      1,
      2,
      3,
      4,
    ]);
    for (const bad of [
      "",
      ":",
      "1::2::3",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "g::",
      "1:2:3:4::5:6:7:8",
    ]) {
      assert.equal(v6(bad), undefined, bad);
    }
  });

  it("round-trips every IPv6 address through its canonical text", () => {
    fc.assert(
      // Mostly zero bytes, so that runs of zero groups ("::") come up often.
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 255 })), {
          minLength: 16,
          maxLength: 16,
        }),
        (values) => {
          const bytes = Uint8Array.from(values);
          assert.deepEqual(v6(ipv6Text(bytes)), Array.from(bytes));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
