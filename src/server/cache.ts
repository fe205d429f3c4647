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
      // Key strings cost memory too; count them with the reply.
      sizeCalculation: (reply, key) => reply.length + key.length * 2 + 64,
      dispose: (_value, _key, reason) => {
        if (reason === "evict") this.hooks?.eviction();
      },
    });
  }

  /**
   * The key of one question's answer. The generation is not spelled into the string: get() and
   * set() take it separately and a new generation empties the cache (entries of an old snapshot
   * could never be hit again), which keeps the key short and cheap to hash on every query.
   */
  static key(
    generation: number,
    nameLower: string,
    qtype: number,
    qclass: number,
    budget: number,
    edns: number,
  ): string {
    void generation;
    return `${nameLower}/${qtype}/${qclass}/${budget}/${edns}`;
  }

  /** A copy of the cached reply adjusted to this query, or undefined on a miss. */
  get(
    generation: number,
    key: string,
    id: number,
    rd: boolean,
    cd: boolean,
    questionBytes: Uint8Array,
  ): Uint8Array | undefined {
    if (generation !== this.generation) this.startGeneration(generation);
    const cached = this.lru.get(key);
    if (cached === undefined) {
      this.hooks?.miss();
      return undefined;
    }
    this.hooks?.hit();
    // A pooled Buffer: cheaper than a fresh ArrayBuffer per reply, and dgram sends it as is.
    const reply = Buffer.allocUnsafe(cached.length);
    reply.set(cached);
    reply[0] = id >> 8;
    reply[1] = id & 0xff;
    const flags = cached[2]!;
    const flags2 = cached[3]!;
    reply[2] = rd ? flags | FLAG_RD : flags & ~FLAG_RD;
    reply[3] = cd ? flags2 | FLAG_CD : flags2 & ~FLAG_CD;
    reply.set(questionBytes, QUESTION_OFFSET);
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
