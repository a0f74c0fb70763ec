import type { StdinSink } from "./ffmpeg-supervisor.ts";

/** How much of the publisher's FLV may wait for ffmpeg's stdin. */
export interface FeedLimits {
  /** Bytes queued (plus the one write in flight). */
  maxBytes: number;
  /** Media time queued, ms (newest minus oldest queued timestamp). */
  maxMs: number;
}

/** What a feed dropped, summed over every ffmpeg of a stream. */
export interface FeedDrops {
  /** Times the queue overflowed (each drops the backlog and skips to the next keyframe). */
  overflows: number;
  droppedTags: number;
  droppedBytes: number;
}

/** One unit of the FLV byte stream: the file header or one tag (with its PreviousTagSize). */
interface Unit {
  bytes: Uint8Array;
  /** Header, metadata and sequence headers: ffmpeg needs them whatever is dropped. */
  keep: boolean;
  keyframe: boolean;
  /** A video frame (not a header). */
  video?: boolean;
  /** Tag timestamp, ms (0 for kept units). */
  ts: number;
}

const FLV_HEADER = 13; // "FLV", version, flags, header size (9) + PreviousTagSize0 (4)
const TAG_HEADER = 11;
const PREV_TAG_SIZE = 4;

/** Reads one FLV tag's meaning from its header and first body bytes. */
function classify(tag: Uint8Array): Omit<Unit, "bytes"> {
  const type = (tag[0] ?? 0) & 0x1f;
  const ts = (((tag[7] ?? 0) << 24) | ((tag[4] ?? 0) << 16) | ((tag[5] ?? 0) << 8) | (tag[6] ?? 0)) >>> 0;
  const b0 = tag[TAG_HEADER] ?? 0;
  const b1 = tag[TAG_HEADER + 1] ?? 0;
  if (type === 9) {
    // Enhanced RTMP sets the top bit: frame type in bits 4-6, packet type (0 = sequence start) in the low nibble.
    const enhanced = (b0 & 0x80) !== 0;
    const frameType = enhanced ? (b0 >> 4) & 0x07 : b0 >> 4;
    const sequenceHeader = enhanced ? (b0 & 0x0f) === 0 : b1 === 0;
    // Frame type 5 is a video info/command frame, not media.
    if (sequenceHeader || frameType === 5) return { keep: true, keyframe: false, ts: 0 };
    return { keep: false, keyframe: frameType === 1, video: true, ts };
  }
  if (type === 8) {
    // AAC (sound format 10) packet type 0 is the AudioSpecificConfig.
    if (b0 >> 4 === 10 && b1 === 0) return { keep: true, keyframe: false, ts: 0 };
    return { keep: false, keyframe: false, ts };
  }
  // Script data (onMetaData) and anything unknown pass through.
  return { keep: true, keyframe: false, ts: 0 };
}

/**
 * The bounded queue between a publisher's FLV and one ffmpeg's stdin. It writes one unit at a time and waits
 * while the pipe is full (Bun's FileSink returns a promise then), so ffmpeg's pace sets the pace. When more
 * than `limits` would wait, the backlog's media is dropped and the feed skips to the next video keyframe
 * (ffmpeg cannot decode from the middle of a GOP): the node's memory stays flat whatever the publisher sends,
 * and the stream catches up to the live edge instead of falling further behind.
 */
export class BoundedFeed {
  private pending: Uint8Array = new Uint8Array(0);
  private sawHeader = false;
  private readonly queue: Unit[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private writing = false;
  private closed = false;
  private skipping = false;
  /** Over the bound in the middle of a GOP: its rest still goes to ffmpeg, then whole GOPs are dropped. */
  private finishingGop = false;
  /** Milliseconds taken off every timestamp since the drops, so ffmpeg sees no gap. */
  private shift = 0;
  private resumed = false;
  /** The video frame interval as written (where the timeline resumes after drops: one frame on). */
  private frameMs = 33;
  private lastVideoTs: number | null = null;
  /** The newest audio timestamp queued or written (after the shift). */
  private lastAudioTs: number | null = null;
  private lastWrittenAudioTs: number | null = null;
  private lastWrittenKeyTs: number | null = null;
  /** The source's GOP length, ms (null until two keyframes passed with nothing dropped between). */
  private gopMs: number | null = null;
  private lastKeyRaw: number | null = null;
  private shiftAtLastKey = 0;

  constructor(
    private readonly sink: StdinSink,
    private readonly limits: FeedLimits,
    private readonly drops: FeedDrops,
  ) {}

  /** Bytes waiting (queued plus the write in flight). */
  backlogBytes(): number {
    return this.queuedBytes + this.inFlight;
  }

  /** Media time waiting, ms. */
  backlogMs(): number {
    let first: number | null = null;
    let last = 0;
    for (const u of this.queue) {
      if (u.keep) continue;
      first ??= u.ts;
      last = u.ts;
    }
    return first === null ? 0 : last - first;
  }

  /** Takes any slice of the FLV byte stream; splits it into whole units. */
  push(chunk: Uint8Array): void {
    if (this.closed) return;
    const buf = this.pending.length ? concat(this.pending, chunk) : chunk;
    let off = 0;
    for (;;) {
      if (!this.sawHeader) {
        if (buf.length - off < FLV_HEADER) break;
        if (buf[off] === 0x46 && buf[off + 1] === 0x4c && buf[off + 2] === 0x56) {
          this.add({ bytes: buf.subarray(off, off + FLV_HEADER), keep: true, keyframe: false, ts: 0 });
          off += FLV_HEADER;
        }
        this.sawHeader = true;
        continue;
      }
      if (buf.length - off < TAG_HEADER) break;
      const size = ((buf[off + 1] ?? 0) << 16) | ((buf[off + 2] ?? 0) << 8) | (buf[off + 3] ?? 0);
      const total = TAG_HEADER + size + PREV_TAG_SIZE;
      if (buf.length - off < total) break;
      const tag = buf.subarray(off, off + total);
      this.add({ bytes: tag, ...classify(tag) });
      off += total;
    }
    // Keep only the incomplete remainder (copied: the caller may reuse its buffer).
    this.pending = off < buf.length ? buf.slice(off) : new Uint8Array(0);
    this.pump();
  }

  /** Stops writing and forgets the backlog (the process is gone or being stopped). */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.pending = new Uint8Array(0);
  }

  /**
   * Whole GOPs only: ffmpeg always gets the rest of the GOP it is in (a cut GOP would give the copied rung a short
   * segment and parts under the 85 % rule), and whole GOPs are dropped from the next keyframe on. A GOP that
   * alone outgrows twice the bound is cut anyway (a publisher with absurdly long GOPs).
   */
  private add(u: Unit): void {
    if (u.keep) {
      this.enqueue(u);
      return;
    }
    if (this.skipping) {
      if (!u.keyframe || this.wouldOverflow(u)) {
        this.dropUnit(u);
        return;
      }
      this.skipping = false;
      this.resumed = true;
      this.accept(u);
      return;
    }
    if (u.keyframe && this.finishingGop) {
      // The GOP ffmpeg was in is complete: from here whole GOPs are dropped until one fits.
      this.finishingGop = false;
      if (this.wouldOverflow(u)) {
        this.skipping = true;
        this.dropUnit(u);
        return;
      }
    }
    if (!this.wouldOverflow(u)) {
      this.accept(u);
      return;
    }
    if (!this.finishingGop) this.drops.overflows += 1;
    const firstKey = this.queue.findIndex((q) => !q.keep && q.keyframe);
    if (firstKey >= 0) {
      // Queued GOPs that ffmpeg has not started: dropped whole (headers stay).
      this.dropQueuedFrom(firstKey);
      this.finishingGop = false;
      if (u.keyframe && !this.wouldOverflow(u)) {
        this.resumed = true;
        this.accept(u);
        return;
      }
      this.skipping = true;
      this.dropUnit(u);
      return;
    }
    // Everything queued is the rest of the GOP ffmpeg is in.
    if (u.keyframe) {
      this.skipping = true;
      this.dropUnit(u);
      return;
    }
    if (this.queuedBytes + this.inFlight + u.bytes.length > 2 * this.limits.maxBytes) {
      this.dropQueuedFrom(0);
      this.finishingGop = false;
      this.skipping = true;
      this.dropUnit(u);
      return;
    }
    this.finishingGop = true;
    this.accept(u);
  }

  /** Retimes and queues a media unit; audio that would go back in time after a resume is dropped. */
  private accept(u: Unit): void {
    const r = this.retimed(u);
    if (!r.video) {
      if (this.lastAudioTs !== null && r.ts <= this.lastAudioTs) {
        this.dropUnit(u);
        return;
      }
      this.lastAudioTs = r.ts;
    }
    this.enqueue(r);
  }

  /** The newest keyframe timestamp ffmpeg has or will get (queued or written), after the shift. */
  private lastKeySent(): number | null {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i] as Unit;
      if (q.video && q.keyframe) return q.ts;
    }
    return this.lastWrittenKeyTs;
  }

  /** The newest video timestamp ffmpeg has or will get (queued or written), after the shift. */
  private lastVideoSent(): number | null {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i] as Unit;
      if (q.video) return q.ts;
    }
    return this.lastVideoTs;
  }

  /** Drops the queued media from index `from` on (headers ffmpeg still needs stay). */
  private dropQueuedFrom(from: number): void {
    for (let i = this.queue.length - 1; i >= from; i--) {
      const q = this.queue[i] as Unit;
      if (q.keep) continue;
      this.queue.splice(i, 1);
      this.queuedBytes -= q.bytes.length;
      this.dropUnit(q);
    }
    // The newest audio left is what was queued before the drop, or what was written.
    this.lastAudioTs = this.lastWrittenAudioTs;
    for (const q of this.queue) if (!q.keep && !q.video) this.lastAudioTs = q.ts;
  }

  /**
   * Closes the hole the drops left in the timeline: a gap would make ffmpeg repeat frames to fill it (work for
   * nothing) and give the copied rung one part as long as the gap. The stream resumes one frame after what
   * ffmpeg last got, and every later tag is shifted by the same amount.
   */
  private retimed(u: Unit): Unit {
    if (this.resumed) {
      this.resumed = false;
      const lastKey = this.lastKeySent();
      const lastVideo = this.lastVideoSent();
      // The resumed keyframe lands where the publisher's next keyframe would have: one GOP after the last one
      // ffmpeg got (so segment and part lengths keep the source's own rounding); else one frame after its last.
      const byGop = u.keyframe && lastKey !== null && this.gopMs !== null ? lastKey + this.gopMs : null;
      // A GOP cut short (the hard cap) ends later than one GOP after its keyframe: then one frame on.
      const target =
        byGop !== null && (lastVideo === null || byGop > lastVideo)
          ? byGop
          : lastVideo !== null
            ? lastVideo + this.frameMs
            : null;
      if (target !== null && u.ts - this.shift > target) this.shift = u.ts - target;
    }
    if (u.keyframe && !this.skipping) {
      // The source's GOP length, from two keyframes with nothing dropped between them.
      if (this.lastKeyRaw !== null && this.shiftAtLastKey === this.shift) {
        const gop = u.ts - this.lastKeyRaw;
        if (gop > 0 && gop < 20_000) this.gopMs = gop;
      }
      this.lastKeyRaw = u.ts;
      this.shiftAtLastKey = this.shift;
    }
    if (this.shift === 0) return u;
    const ts = Math.max(0, u.ts - this.shift);
    const bytes = u.bytes.slice();
    bytes[4] = (ts >> 16) & 0xff;
    bytes[5] = (ts >> 8) & 0xff;
    bytes[6] = ts & 0xff;
    bytes[7] = (ts >>> 24) & 0xff;
    return { ...u, bytes, ts };
  }

  private wouldOverflow(u: Unit): boolean {
    if (this.queuedBytes + this.inFlight + u.bytes.length > this.limits.maxBytes) return true;
    const first = this.queue.find((q) => !q.keep);
    return first !== undefined && u.ts - this.shift - first.ts > this.limits.maxMs;
  }

  private dropUnit(u: Unit): void {
    this.drops.droppedTags += 1;
    this.drops.droppedBytes += u.bytes.length;
  }

  private enqueue(u: Unit): void {
    this.queue.push(u);
    this.queuedBytes += u.bytes.length;
  }

  /** Writes units while the sink takes them at once; after a write that must wait, waits for it. */
  private pump(): void {
    while (!this.writing && !this.closed && this.queue.length > 0) {
      const u = this.queue.shift() as Unit;
      this.queuedBytes -= u.bytes.length;
      if (!u.keep && !u.video) this.lastWrittenAudioTs = u.ts;
      if (u.video && u.keyframe) this.lastWrittenKeyTs = u.ts;
      if (u.video) {
        const step = u.ts - (this.lastVideoTs ?? u.ts);
        if (step > 0 && step < 1000) this.frameMs = step;
        this.lastVideoTs = u.ts;
      }
      let r: number | Promise<number>;
      try {
        r = this.sink.write(u.bytes);
      } catch {
        // ffmpeg is gone (EPIPE); its supervisor restarts it with a fresh feed.
        this.close();
        return;
      }
      if (typeof r === "number") continue;
      this.writing = true;
      this.inFlight = u.bytes.length;
      r.then(
        () => {
          this.writing = false;
          this.inFlight = 0;
          this.pump();
        },
        () => {
          this.writing = false;
          this.inFlight = 0;
          this.close();
        },
      );
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
