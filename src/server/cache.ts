// Encoded-answer cache. Most queries repeat (CoreDNS asks the same few names again and again),
// so the cheapest answer is a copy of bytes we already encoded. A hit copies the cached reply
// and patches what differs between two queries that share a key: the ID, the RD and CD flags,
// and the question's spelling (same length, since the key holds the lower-cased name).
// Bounded by bytes, so a flood of random names cannot grow memory; negative answers are cached
// too. Every cached answer belongs to one snapshot generation: the first get or set for a newer
// generation empties the cache, so an answer is never served from an older snapshot.

import { LRUCache } from "lru-cache";

export interface CacheHooks {
  hit(): void;
  miss(): void;
  eviction(): void;
}

export interface AnswerCacheOptions {
  maxBytes: number;
  hooks?: CacheHooks | undefined;
}

const QUESTION_OFFSET = 12;
const FLAG_RD = 0x01; // in byte 2
const FLAG_CD = 0x10; // in byte 3
/** A name's wire form (at most 255 bytes) and the 7 bytes of type, class, budget and EDNS. */
const keyScratch = Buffer.alloc(255 + 7);

/**
 * Hit replies are cut from 64 KiB slabs, as Buffer.allocUnsafe cuts from its 8 KiB pool: one
 * ArrayBuffer per ~600 replies instead of per ~80. Each ArrayBuffer costs the young-generation
 * GC a sweep step (at 75k QPS that was a third of every scavenge pause). A reply keeps its
 * slab alive only as long as the reply itself lives (until it is sent).
 */
const SLAB_BYTES = 64 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function replyBuffer(length: number): Uint8Array {
  if (length > SLAB_BYTES / 8) return new Uint8Array(length);
  if (slabUsed + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const reply = new Uint8Array(slab, slabUsed, length);
  // 8-byte aligned starts, as Node's pool does.
  slabUsed += (length + 7) & ~7;
  return reply;
}

/**
 * What an entry costs besides the bytes of its reply and key, so that --cache-size bounds the
 * memory the cache takes, not just the bytes it holds: the Uint8Array and ArrayBuffer objects,
 * the reply's own malloc'ed backing store and V8's record of it, the key string's header, the
 * Map entry and lru-cache's slots. `node --expose-gc bench/cache-memory.mjs` measures ~860
 * bytes of RSS per entry for a 150-byte reply under a 46-character key; the charge before this
 * (reply + 2 × key + 64 = 306 bytes) let a full 64 MiB cache take ~180 MiB.
 */
export const ENTRY_OVERHEAD_BYTES = 640;

export class AnswerCache {
  private lru: LRUCache<string, Uint8Array>;
  private readonly maxBytes: number;
  private readonly hooks: CacheHooks | undefined;
  /** Generation of the snapshot every cached answer came from. */
  private generation = 0;

  constructor(options: AnswerCacheOptions) {
    this.hooks = options.hooks;
    this.maxBytes = Math.max(options.maxBytes, 1024);
    this.lru = this.newLru();
  }

  private newLru(): LRUCache<string, Uint8Array> {
    return new LRUCache<string, Uint8Array>({
      maxSize: this.maxBytes,
      // The key is latin1, a byte per character.
      sizeCalculation: (reply, key) => reply.length + key.length + ENTRY_OVERHEAD_BYTES,
      dispose: (_value, _key, reason) => {
        if (reason === "evict") this.hooks?.eviction();
      },
    });
  }

  /**
   * The key of one question's answer: the question name's wire form lower-cased, then QTYPE,
   * QCLASS, the reply budget and the EDNS bits, as one latin1 string. Built from bytes (the
   * packet itself on the fast path, the re-encoded question on the slow path) so both paths
   * agree without turning the name into text. The wire form names each label exactly, so no
   * escaping is needed. The generation is not in the key: a new generation empties the cache
   * (entries of an old snapshot could never be hit again).
   */
  static key(
    wire: Uint8Array,
    nameStart: number,
    nameEnd: number,
    qtype: number,
    qclass: number,
    budget: number,
    edns: number,
  ): string {
    const scratch = keyScratch;
    let n = 0;
    for (let i = nameStart; i < nameEnd; i++) {
      const c = wire[i]!;
      // Length bytes are at most 63, below "A": only letters change.
      scratch[n++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    scratch[n++] = qtype >> 8;
    scratch[n++] = qtype & 0xff;
    scratch[n++] = qclass >> 8;
    scratch[n++] = qclass & 0xff;
    scratch[n++] = budget >> 8;
    scratch[n++] = budget & 0xff;
    scratch[n++] = edns;
    return scratch.toString("latin1", 0, n);
  }

  /**
   * A copy of the cached reply adjusted to this query (its ID, RD, CD and the question as sent,
   * `question[start, end)`), or undefined on a miss. Counts the hit or the miss.
   */
  get(
    generation: number,
    key: string,
    id: number,
    rd: boolean,
    cd: boolean,
    question: Uint8Array,
    questionStart: number,
    questionEnd: number,
  ): Uint8Array | undefined {
    const reply = this.lookup(generation, key, id, rd, cd, question, questionStart, questionEnd);
    if (reply === undefined) this.hooks?.miss();
    return reply;
  }

  /**
   * Like get, but a miss is not counted: for a fast path that falls back to the full path (which
   * then calls get and counts the miss once).
   */
  lookup(
    generation: number,
    key: string,
    id: number,
    rd: boolean,
    cd: boolean,
    question: Uint8Array,
    questionStart: number,
    questionEnd: number,
  ): Uint8Array | undefined {
    if (generation !== this.generation) this.startGeneration(generation);
    const cached = this.lru.get(key);
    if (cached === undefined) return undefined;
    this.hooks?.hit();
    // From a slab: cheaper than a fresh ArrayBuffer per reply, and dgram sends it as is.
    const reply = replyBuffer(cached.length);
    reply.set(cached);
    reply[0] = id >> 8;
    reply[1] = id & 0xff;
    const flags = cached[2]!;
    const flags2 = cached[3]!;
    reply[2] = rd ? flags | FLAG_RD : flags & ~FLAG_RD;
    reply[3] = cd ? flags2 | FLAG_CD : flags2 & ~FLAG_CD;
    // The question as sent (same length as the cached one: same name up to case).
    for (let i = questionStart, o = QUESTION_OFFSET; i < questionEnd; i++, o++)
      reply[o] = question[i]!;
    return reply;
  }

  set(generation: number, key: string, reply: Uint8Array): void {
    if (generation !== this.generation) this.startGeneration(generation);
    this.lru.set(key, reply);
  }

  private startGeneration(generation: number): void {
    // A fresh LRU rather than clear(): clear() visits every entry (a pause proportional to the
    // cache at every snapshot swap); the old one is left to the garbage collector instead.
    this.lru = this.newLru();
    this.generation = generation;
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
