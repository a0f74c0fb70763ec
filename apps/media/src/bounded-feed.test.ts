import { describe, expect, test } from "bun:test";
import { BoundedFeed, type FeedDrops } from "./bounded-feed.ts";

/** One FLV tag: 11-byte header, body, PreviousTagSize. */
function tag(type: number, ts: number, body: number[], size = body.length): Uint8Array {
  const out = new Uint8Array(11 + size + 4);
  out[0] = type;
  out[1] = (size >> 16) & 0xff;
  out[2] = (size >> 8) & 0xff;
  out[3] = size & 0xff;
  out[4] = (ts >> 16) & 0xff;
  out[5] = (ts >> 8) & 0xff;
  out[6] = ts & 0xff;
  out[7] = (ts >>> 24) & 0xff;
  out.set(body, 11);
  return out;
}
const header = () => new Uint8Array([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]);
const key = (ts: number, size = 1000) => tag(9, ts, [0x17, 1], size);
const inter = (ts: number, size = 1000) => tag(9, ts, [0x27, 1], size);
const audio = (ts: number) => tag(8, ts, [0xaf, 1], 100);
const avcHeader = () => tag(9, 0, [0x17, 0], 40);
const aacHeader = () => tag(8, 0, [0xaf, 0], 4);

/** A sink like Bun's FileSink on a full pipe: every write waits until `release()`. */
function stuckSink() {
  const written: Uint8Array[] = [];
  const waiting: Array<() => void> = [];
  return {
    written,
    write(chunk: Uint8Array) {
      written.push(chunk);
      return new Promise<number>((resolve) => waiting.push(() => resolve(chunk.length)));
    },
    end() {},
    release() {
      for (const w of waiting.splice(0)) w();
    },
  };
}

const zero = (): FeedDrops => ({ overflows: 0, droppedTags: 0, droppedBytes: 0 });

describe("BoundedFeed", () => {
  test("writes one unit at a time and waits while the sink is full", async () => {
    const sink = stuckSink();
    const feed = new BoundedFeed(sink, { maxBytes: 1 << 20, maxMs: 10_000 }, zero());
    feed.push(header());
    feed.push(key(0));
    expect(sink.written.length).toBe(1);
    sink.release();
    await Bun.sleep(0);
    expect(sink.written.length).toBe(2);
  });

  test("reassembles tags split across chunks and joined in one chunk", () => {
    const written: Uint8Array[] = [];
    const sink = {
      write(c: Uint8Array) {
        written.push(c);
        return c.length;
      },
      end() {},
    };
    const feed = new BoundedFeed(sink, { maxBytes: 1 << 20, maxMs: 10_000 }, zero());
    const all = new Uint8Array([...header(), ...key(0, 10), ...inter(33, 10)]);
    feed.push(all.subarray(0, 5));
    feed.push(all.subarray(5, 30));
    feed.push(all.subarray(30));
    expect(written.map((w) => w.length)).toEqual([13, 25, 25]);
  });

  test("an overflow drops the backlog's media, keeps the headers and resumes at the next keyframe", () => {
    const sink = stuckSink();
    const drops = zero();
    const feed = new BoundedFeed(sink, { maxBytes: 4000, maxMs: 10_000 }, drops);
    feed.push(header()); // in flight, never released: ffmpeg does not read
    feed.push(aacHeader());
    feed.push(avcHeader());
    feed.push(key(0));
    feed.push(audio(10));
    feed.push(inter(33));
    feed.push(inter(66));
    feed.push(inter(100)); // would pass 4000 bytes
    expect(drops.overflows).toBe(1);
    expect(drops.droppedTags).toBe(5); // key, audio, two inter frames, and the one that did not fit
    feed.push(inter(133)); // still skipping: not a keyframe
    feed.push(audio(140));
    expect(drops.droppedTags).toBe(7);
    feed.push(key(1000));
    expect(feed.backlogBytes()).toBeLessThanOrEqual(4000);
    sink.release();
    expect(drops.droppedTags).toBe(7);
  });

  test("after drops the timeline resumes one frame after what ffmpeg got: no gap to fill", async () => {
    const sink = stuckSink();
    const drops = zero();
    const feed = new BoundedFeed(sink, { maxBytes: 1 << 30, maxMs: 2000 }, drops);
    feed.push(header());
    sink.release();
    await Bun.sleep(0);
    feed.push(key(0, 10)); // in flight, held
    for (let t = 33; t <= 3000; t += 33) feed.push(t % 990 === 0 ? key(t, 10) : inter(t, 10));
    expect(drops.overflows).toBe(1);
    feed.push(inter(3003, 10));
    feed.push(inter(3036, 10));
    // Let everything through and read the timestamps ffmpeg got.
    for (let i = 0; i < 20; i++) {
      sink.release();
      await Bun.sleep(0);
    }
    const ts = (b: Uint8Array) =>
      ((b[7] ?? 0) << 24) | ((b[4] ?? 0) << 16) | ((b[5] ?? 0) << 8) | (b[6] ?? 0);
    const media = sink.written.filter((w) => w[0] === 9).map(ts);
    expect(media.length).toBeGreaterThanOrEqual(3);
    expect(media.at(-1)).toBeLessThan(1000);
    for (let i = 1; i < media.length; i++)
      expect((media[i] as number) - (media[i - 1] as number)).toBeLessThanOrEqual(34);
  });

  test("ffmpeg gets whole GOPs only: keyframes stay a full GOP apart after drops", async () => {
    const sink = stuckSink();
    const drops = zero();
    const feed = new BoundedFeed(sink, { maxBytes: 1 << 30, maxMs: 1500 }, drops);
    feed.push(header());
    sink.release();
    await Bun.sleep(0);
    // 1 s GOPs of 10 frames; ffmpeg reads nothing while 6 s arrive, then everything.
    for (let t = 0; t < 6000; t += 100) feed.push(t % 1000 === 0 ? key(t, 10) : inter(t, 10));
    expect(drops.overflows).toBeGreaterThan(0);
    const drain = async () => {
      for (let i = 0; i < 40; i++) {
        sink.release();
        await Bun.sleep(0);
      }
    };
    await drain();
    // ffmpeg keeps up again: the next GOPs pass.
    for (let t = 6000; t < 8000; t += 100) {
      feed.push(t % 1000 === 0 ? key(t, 10) : inter(t, 10));
      await drain();
    }
    const ts = (b: Uint8Array) =>
      ((b[7] ?? 0) << 24) | ((b[4] ?? 0) << 16) | ((b[5] ?? 0) << 8) | (b[6] ?? 0);
    const video = sink.written.filter((w) => w[0] === 9).map((w) => ({ ts: ts(w), key: w[11] === 0x17 }));
    const keys = video.filter((v) => v.key).map((v) => v.ts);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < keys.length; i++) expect((keys[i] as number) - (keys[i - 1] as number)).toBe(1000);
    // Every GOP that was started is complete: 10 frames per keyframe.
    expect(video.length).toBe(keys.length * 10);
  });

  test("media time is bounded too", () => {
    const sink = stuckSink();
    const drops = zero();
    const feed = new BoundedFeed(sink, { maxBytes: 1 << 30, maxMs: 2000 }, drops);
    feed.push(header());
    for (let t = 0; t <= 3000; t += 500) feed.push(t % 1000 === 0 ? key(t, 10) : inter(t, 10));
    expect(drops.overflows).toBe(1);
    expect(feed.backlogMs()).toBeLessThanOrEqual(2000);
  });

  test("whatever a publisher pushes, the backlog stays under the bound", () => {
    const sink = stuckSink();
    const drops = zero();
    const feed = new BoundedFeed(sink, { maxBytes: 64 * 1024, maxMs: 4000 }, drops);
    feed.push(header());
    for (let i = 0; i < 5000; i++) feed.push(i % 30 === 0 ? key(i * 33, 3000) : inter(i * 33, 3000));
    expect(feed.backlogBytes()).toBeLessThanOrEqual(64 * 1024);
    expect(drops.droppedBytes).toBeGreaterThan(10_000_000);
  });

  test("a sink that breaks (EPIPE) closes the feed without throwing", async () => {
    const sink = {
      write: () => Promise.reject(new Error("EPIPE")),
      end() {},
    };
    const feed = new BoundedFeed(sink, { maxBytes: 1 << 20, maxMs: 10_000 }, zero());
    feed.push(header());
    await Bun.sleep(0);
    feed.push(key(0));
    expect(feed.backlogBytes()).toBe(0);
  });
});
