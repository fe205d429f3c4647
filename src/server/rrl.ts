// Response-rate limiting for UDP (off by default). DNS over UDP can be aimed at a victim by
// spoofing its address; a client prefix (/24 for IPv4, /56 for IPv6, as BIND's RRL) that
// exceeds `rate` responses per second gets TC=1 with no records instead of the answer, which
// is smaller than the query's answer and sends a real client to TCP, where no spoofing is
// possible. Token buckets, bounded in number: the stalest is forgotten first.

export interface RateLimiterOptions {
  /** Responses per second per client prefix; also the burst size. */
  rate: number;
  /** Buckets kept at most. */
  maxClients?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class ResponseRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions) {
    this.rate = options.rate;
    this.maxClients = options.maxClients ?? 100_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Take one response from the client's bucket; false when it is over its rate. */
  allow(address: string): boolean {
    const key = clientPrefix(address);
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxClients) {
        const stalest = this.buckets.keys().next().value;
        if (stalest !== undefined) this.buckets.delete(stalest);
      }
      bucket = { tokens: this.rate, at: now };
    } else {
      // Re-insert so Map order stays least-recently-seen first.
      this.buckets.delete(key);
      bucket.tokens = Math.min(this.rate, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
      bucket.at = now;
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** The /24 (IPv4, also IPv4-mapped IPv6) or /56 (IPv6) a client address belongs to. */
export function clientPrefix(address: string): string {
  const mapped = address.startsWith("::ffff:") && address.includes(".");
  const text = mapped ? address.slice("::ffff:".length) : address;
  if (text.includes(".")) return text.slice(0, text.lastIndexOf("."));
  // First 56 bits = the first three and a half groups of the expanded address.
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [
    ...headGroups,
    ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"),
    ...tailGroups,
  ];
  const fourth = parseInt(groups[3] ?? "0", 16) & 0xff00;
  return `${groups.slice(0, 3).join(":")}:${fourth.toString(16)}`;
}

/** A copy of a reply's header and question with TC=1 and no records (the RRL "slip"). */
export function truncatedReply(reply: Uint8Array): Uint8Array {
  const qdcount = (reply[4]! << 8) | reply[5]!;
  let end = 12;
  if (qdcount === 1) {
    // Our replies write the question uncompressed: labels up to the root byte, type, class.
    while (end < reply.length && reply[end] !== 0) end += reply[end]! + 1;
    end += 1 + 4;
  }
  const slip = reply.slice(0, Math.min(end, reply.length));
  slip[2] = slip[2]! | 0x02;
  slip[4] = 0;
  slip[5] = end > 12 ? 1 : 0;
  for (let i = 6; i < 12; i++) slip[i] = 0;
  return slip;
}
