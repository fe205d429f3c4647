// What one answer-cache entry really costs, against what the cache charges for it (issue 6):
// fills an AnswerCache (the built one) with N entries shaped like the server's (a reply made as
// the encoder makes it, its own ArrayBuffer, under a key as policy.ts makes it) and prints, per
// entry, the charged bytes and the growth of V8's heap, external memory and RSS.
//
//   npm run build && node --expose-gc bench/cache-memory.mjs [--entries 200000] [--reply 150]

import { DIST, option } from "./lib/common.mjs";

if (typeof globalThis.gc !== "function") {
  console.error("bench: run with node --expose-gc");
  process.exit(2);
}
const ENTRIES = Number(option("entries", "200000"));
const REPLY = Number(option("reply", "150"));
const { AnswerCache } = await import(`${DIST}/server/cache.js`);

async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A query name's wire form, as the cache key is built from the packet. */
function wireName(name) {
  const labels = name.split(".");
  const wire = new Uint8Array(name.length + 2);
  let at = 0;
  for (const label of labels) {
    wire[at++] = label.length;
    for (const char of label) wire[at++] = char.charCodeAt(0);
  }
  wire[at++] = 0;
  return { wire, end: at };
}

const cache = new AnswerCache({ maxBytes: 4 * 1024 * 1024 * 1024 });
const scratch = new Uint8Array(65535);
await settle();
const before = process.memoryUsage();
let keyChars = 0;
for (let i = 0; i < ENTRIES; i++) {
  const { wire, end } = wireName(`svc-${i}.ns-${i % 400}.svc.clusterset.local`);
  const key = AnswerCache.key(wire, 0, end, 1, 1, 512, 0);
  keyChars += key.length;
  // encode.ts returns scratch.slice(0, length): a copy in an ArrayBuffer of its own.
  cache.set(1, key, scratch.slice(0, REPLY - 30 + (i % 60)));
}
await settle();
const after = process.memoryUsage();
const per = (a, b) => Math.round((a - b) / ENTRIES);
console.log(
  JSON.stringify({
    entries: cache.entries,
    averageKeyChars: Math.round(keyChars / ENTRIES),
    averageReplyBytes: REPLY,
    chargedPerEntry: Math.round(cache.bytes / ENTRIES),
    heapUsedPerEntry: per(after.heapUsed, before.heapUsed),
    arrayBuffersPerEntry: per(after.arrayBuffers, before.arrayBuffers),
    rssPerEntry: per(after.rss, before.rss),
  }),
);
