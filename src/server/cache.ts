// Encoded-answer cache. Most queries repeat (CoreDNS asks the same few names again and again),
// so the cheapest answer is a copy of bytes we already encoded. A hit copies the cached reply
// and patches what differs between two queries that share a key: the ID, the RD and CD flags,
// and the question's spelling (same length, since the key holds the lower-cased name).
// Bounded by bytes, so a flood of random names cannot grow memory; negative answers are cached
// too. The snapshot generation is part of the key: a new snapshot makes old entries unreachable
// and the LRU ages them out.

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
  private readonly lru: LRUCache<string, Uint8Array>;
  private readonly hooks: CacheHooks | undefined;

  constructor(options: AnswerCacheOptions) {
    this.hooks = options.hooks;
    this.lru = new LRUCache<string, Uint8Array>({
      maxSize: Math.max(options.maxBytes, 1024),
      // Key strings cost memory too; count them with the reply.
      sizeCalculation: (reply, key) => reply.length + key.length * 2 + 64,
      dispose: (_value, _key, reason) => {
        if (reason === "evict") this.hooks?.eviction();
      },
    });
  }

  static key(
    generation: number,
    nameLower: string,
    qtype: number,
    qclass: number,
    budget: number,
    edns: number,
  ): string {
    return `${generation}/${qtype}/${qclass}/${budget}/${edns}/${nameLower}`;
  }

  /** A copy of the cached reply adjusted to this query, or undefined on a miss. */
  get(
    key: string,
    id: number,
    rd: boolean,
    cd: boolean,
    questionBytes: Uint8Array,
  ): Uint8Array | undefined {
    const cached = this.lru.get(key);
    if (cached === undefined) {
      this.hooks?.miss();
      return undefined;
    }
    this.hooks?.hit();
    const reply = cached.slice();
    reply[0] = id >> 8;
    reply[1] = id & 0xff;
    reply[2] = rd ? (reply[2] ?? 0) | FLAG_RD : (reply[2] ?? 0) & ~FLAG_RD;
    reply[3] = cd ? (reply[3] ?? 0) | FLAG_CD : (reply[3] ?? 0) & ~FLAG_CD;
    reply.set(questionBytes, QUESTION_OFFSET);
    return reply;
  }

  set(key: string, reply: Uint8Array): void {
    this.lru.set(key, reply);
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
