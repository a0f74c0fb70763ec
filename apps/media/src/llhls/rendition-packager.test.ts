import { describe, expect, test } from "bun:test";
import type { Fragment, InitSegment } from "./box-reader.ts";
import { type PackagerOptions, RenditionPackager, type Segment, SessionClock } from "./rendition-packager.ts";

const TS = 90000;
const init: InitSegment = {
  bytes: new Uint8Array([1, 2, 3]),
  info: {
    primaryTrackId: 1,
    tracks: [
      {
        id: 1,
        handler: "vide",
        timescale: TS,
        codec: "avc1.42c00c",
        width: 160,
        height: 90,
        defaultSampleDuration: 0,
        defaultSampleFlags: 0,
      },
    ],
  },
};

/** Feeds `n` fragments of `dur` s, a keyframe every `keyEvery`, starting at decode time `t0` s. */
function feed(
  p: RenditionPackager,
  n: number,
  o: { dur?: number; keyEvery?: number; t0?: number } = {},
): void {
  const dur = o.dur ?? 0.2;
  for (let i = 0; i < n; i++) {
    const f: Fragment = {
      bytes: new Uint8Array([i & 0xff]),
      decodeTime: Math.round(((o.t0 ?? 0) + i * dur) * TS),
      duration: Math.round(dur * TS),
      timescale: TS,
      keyframe: i % (o.keyEvery ?? 5) === 0,
      sampleCount: 6,
    };
    p.addFragment(f);
  }
}

const opts = (o: Partial<PackagerOptions> = {}): PackagerOptions => ({
  targetDuration: 1,
  partTarget: 0.2,
  windowSegments: 6,
  partSegments: 3,
  now: () => Date.UTC(2026, 0, 1),
  ...o,
});

describe("RenditionPackager", () => {
  test("closeAtTarget: a fixed-GOP segment is complete with its last part, not one part later", () => {
    const p = new RenditionPackager(opts({ closeAtTarget: true }));
    p.beginInput(init);
    feed(p, 5);
    // Five 0.2 s parts reach the 1 s target: listed now, before the next keyframe's fragment exists.
    expect(p.segments.map((s) => [s.msn, s.parts.length, s.bytes !== null])).toEqual([[0, 5, true]]);
    expect(p.openSegment()).toBeUndefined();
    feed(p, 7, { t0: 1 });
    expect(p.segments.map((s) => [s.msn, s.parts.length, s.bytes !== null])).toEqual([
      [0, 5, true],
      [1, 5, true],
      [2, 2, false],
    ]);
    expect(p.segments.every((s) => s.parts[0]?.independent)).toBe(true);
    // Without it (a copied rung), the same feed leaves the segment open until the next keyframe arrives.
    const copied = new RenditionPackager(opts());
    copied.beginInput(init);
    feed(copied, 5);
    expect(copied.openSegment()?.parts.length).toBe(5);
  });

  test("a copied rung learns a steady GOP from three clean segments, then closes segments on time", () => {
    const p = new RenditionPackager(opts());
    p.beginInput(init);
    // Segments 0-2 close only when the next keyframe's fragment arrives; segment 3 is learned and closes with
    // its own last part.
    feed(p, 20);
    const done = () => p.segments.map((s) => [s.msn, s.parts.length, s.bytes !== null]);
    expect(done()).toEqual([
      [0, 5, true],
      [1, 5, true],
      [2, 5, true],
      [3, 5, true],
    ]);
    expect(p.openSegment()).toBeUndefined();
    // A restart forgets what was learned: the new input's first segment waits for its next keyframe again.
    p.beginInput(init);
    feed(p, 5, { t0: 4 });
    expect(p.openSegment()?.parts.length).toBe(5);
  });

  test("a learned GOP that changes costs one unclean segment, then is learned again", () => {
    const p = new RenditionPackager(opts({ windowSegments: 20 }));
    p.beginInput(init);
    feed(p, 20);
    // The publisher's keyframes now come every 1.2 s (at 4.0, 5.2, 6.4 ...): the guess closes a segment at
    // 1 s, and the next one starts without a keyframe, holds the one at 5.2 s, and ends at 6.4 s.
    feed(p, 12, { t0: 4, keyEvery: 6 });
    const shape = (s: Segment | undefined) => [s?.parts.length, s?.bytes !== null, s?.parts[0]?.independent];
    expect(shape(p.segments[4])).toEqual([5, true, true]);
    expect(shape(p.segments[5])).toEqual([7, false, false]);
    feed(p, 30, { t0: 6.4, keyEvery: 6 });
    // Segments 6-8 (1.2 s, clean) each wait for the next keyframe; then 1.2 s is learned, and segments 9
    // and 10 close with their last part: nothing is left open after the fragment ending at 12.4 s.
    expect(p.segments.slice(5).map(shape)).toEqual([
      [7, true, false],
      [6, true, true],
      [6, true, true],
      [6, true, true],
      [6, true, true],
      [6, true, true],
    ]);
    expect(p.openSegment()).toBeUndefined();
  });

  test("closeAtTarget waits for a cut when the segment holds a second keyframe (a start-up GOP)", () => {
    const p = new RenditionPackager(opts({ closeAtTarget: true }));
    p.beginInput(init);
    // Keyframes at 0 and 0.4 s: the second comes too early to cut (under 85 % of the target) and sits inside.
    feed(p, 2, { keyEvery: 2 });
    feed(p, 3, { t0: 0.4, keyEvery: 5 });
    expect(p.openSegment()?.duration).toBeCloseTo(1, 5);
    feed(p, 1, { t0: 1.4 });
    expect(p.segments.map((s) => [s.msn, s.parts.length, s.bytes !== null])).toEqual([
      [0, 5, true],
      [1, 1, false],
    ]);
  });

  test("cuts segments at keyframes, one part per fragment, parts add up to the segment", () => {
    const p = new RenditionPackager(opts());
    p.beginInput(init);
    feed(p, 12);
    expect(p.segments.map((s) => [s.msn, s.parts.length, s.bytes !== null])).toEqual([
      [0, 5, true],
      [1, 5, true],
      [2, 2, false],
    ]);
    const s0 = p.segments[0];
    expect(s0?.duration).toBeCloseTo(1, 6);
    expect(s0?.parts.map((x) => x.independent)).toEqual([true, false, false, false, false]);
    expect(Array.from(s0?.bytes ?? [])).toEqual([0, 1, 2, 3, 4]);
    expect(p.lastPart()).toEqual({ msn: 2, index: 1 });
    expect(p.nextPartId).toBe(12);
    expect(p.lastCompleteMsn()).toBe(1);
  });

  test("program date-time follows media time from the first fragment's capture", () => {
    const p = new RenditionPackager(opts());
    p.beginInput(init);
    feed(p, 11);
    const t0 = Date.UTC(2026, 0, 1) - 200;
    expect(p.segments.map((s) => s.programDateTime)).toEqual([t0, t0 + 1000, t0 + 2000]);
  });

  test("without keyframes, a segment is cut before its EXTINF would round above the target", () => {
    const p = new RenditionPackager(opts({ targetDuration: 2 }));
    p.beginInput(init);
    feed(p, 30, { keyEvery: 1000 });
    for (const s of p.segments.filter((x) => x.bytes)) expect(Math.round(s.duration)).toBeLessThanOrEqual(2);
  });

  test("a new input is a discontinuity; media sequence and part ids continue", () => {
    const p = new RenditionPackager(opts());
    p.beginInput(init);
    feed(p, 7);
    p.endInput();
    expect(p.openSegment()).toBeUndefined();
    p.beginInput({ ...init, bytes: new Uint8Array([9]) });
    // The new ffmpeg starts its timestamps at zero again.
    feed(p, 6);
    expect(p.segments.map((s) => [s.msn, s.initSeq, s.discontinuity, s.parts[0]?.id])).toEqual([
      [0, 0, false, 0],
      [1, 0, false, 5],
      [2, 1, true, 7],
      [3, 1, false, 12],
    ]);
    expect(p.inits.size).toBe(2);
  });

  test("keeps a window of segments and parts for the last few only", () => {
    const p = new RenditionPackager(opts({ windowSegments: 4, partSegments: 2 }));
    p.beginInput(init);
    // 48 fragments: nine full segments and three parts of the tenth, which is still open.
    feed(p, 48);
    expect(p.segments.map((s) => s.msn)).toEqual([5, 6, 7, 8, 9]);
    expect(p.segments.map((s) => s.hasParts)).toEqual([false, false, true, true, true]);
    expect(p.part(0)).toBeUndefined();
    expect(p.part(47)?.msn).toBe(9);
    expect(p.segment(4)).toBeUndefined();
    expect(p.segment(9)).toBeUndefined(); // still open
    expect(p.segment(5)?.bytes?.length).toBe(5);
  });

  test("counts discontinuities that leave the window", () => {
    const p = new RenditionPackager(opts({ windowSegments: 2 }));
    for (let run = 0; run < 3; run++) {
      p.beginInput(init);
      feed(p, 10);
      p.endInput();
    }
    expect(p.segments.map((s) => [s.msn, s.discontinuity])).toEqual([
      [4, true],
      [5, false],
    ]);
    expect(p.discontinuitySequence).toBe(1);
  });

  test("waitFor resolves on the change that makes it true, or false at the timeout", async () => {
    const p = new RenditionPackager(opts());
    p.beginInput(init);
    const waiting = p.waitFor(() => p.nextPartId >= 3, 2000);
    feed(p, 3);
    expect(await waiting).toBe(true);
    expect(await p.waitFor(() => false, 20)).toBe(false);
  });

  test("a fragment without video samples rides at the front of the next part", () => {
    const p = new RenditionPackager(opts());
    p.beginInput(init);
    feed(p, 2);
    p.addFragment({
      bytes: new Uint8Array([77]),
      decodeTime: 0,
      duration: 0,
      timescale: TS,
      keyframe: false,
      sampleCount: 0,
    });
    expect(p.nextPartId).toBe(2);
    feed(p, 1, { t0: 0.4 });
    expect(Array.from(p.part(2)?.bytes ?? [])).toEqual([77, 0]);
  });
});

describe("RenditionPackager across a joint (a publisher reconnects within the grace)", () => {
  const other: InitSegment = {
    bytes: new Uint8Array([4, 5, 6, 7]),
    info: {
      primaryTrackId: 1,
      tracks: [
        { ...(init.info.tracks[0] as InitSegment["info"]["tracks"][number]), width: 320, height: 180 },
      ],
    },
  };

  test("the sequence continues, the joint is a discontinuity with a new init, and dates stay true", () => {
    let now = Date.UTC(2026, 0, 1, 12);
    const p = new RenditionPackager(opts({ closeAtTarget: true, firstMsn: 1000, now: () => now }));
    p.beginInput(init);
    for (let i = 0; i < 10; i++) {
      now += 200;
      feed(p, 1, { t0: i * 0.2, keyEvery: 1 });
    }
    expect(p.segments.map((s) => [s.msn, s.discontinuity, s.initSeq])).toEqual([
      [1000, false, 0],
      [1001, false, 0],
    ]);
    const beforeJoint = p.segments.at(-1) as Segment;
    // The publisher drops; 5 s later it is back at another size. ffmpeg starts its timestamps at 0 again.
    p.endInput();
    now += 5000;
    p.beginInput(other);
    for (let i = 0; i < 5; i++) {
      now += 200;
      feed(p, 1, { t0: i * 0.2, keyEvery: 1 });
    }
    const joint = p.segments.at(-1) as Segment;
    expect([joint.msn, joint.discontinuity, joint.initSeq]).toEqual([1002, true, 1]);
    expect(p.inits.get(1)).toBe(other);
    // Dated from the new input's own capture time: the gap shows in the dates, the media time does not.
    expect(joint.programDateTime).toBe(now - 1000);
    expect(joint.programDateTime - (beforeJoint.programDateTime + beforeJoint.duration * 1000)).toBeCloseTo(
      5000,
      5,
    );
    // Parts keep counting across the joint, so a blocking reload for the next part just works.
    expect(joint.parts[0]?.id).toBe(10);
    expect(p.nextPartId).toBe(15);
  });

  test("the discontinuity sequence counts joints that leave the window", () => {
    const p = new RenditionPackager(opts({ closeAtTarget: true, windowSegments: 2 }));
    p.beginInput(init);
    feed(p, 5, { keyEvery: 5 });
    p.endInput();
    p.beginInput(other);
    feed(p, 5, { keyEvery: 5 });
    expect(p.discontinuitySequence).toBe(0);
    feed(p, 10, { t0: 1, keyEvery: 5 });
    // The joint segment (msn 1) left the two-segment window.
    expect(p.segments.map((s) => s.msn)).toEqual([2, 3]);
    expect(p.discontinuitySequence).toBe(1);
  });

  test("a session clock dates the same media time alike on every rung, whenever each rung's fragment arrives", () => {
    const clock = new SessionClock();
    let now = Date.UTC(2026, 0, 1, 12);
    const copied = new RenditionPackager(opts({ clock, now: () => now }));
    const encoded = new RenditionPackager(opts({ clock, closeAtTarget: true, now: () => now }));
    copied.beginInput(init);
    encoded.beginInput(init);
    for (let i = 0; i < 6; i++) {
      now += 200;
      feed(copied, 1, { t0: i * 0.2, keyEvery: 1 });
      // The encoder's output of the same frames arrives 70 ms later.
      now += 70;
      feed(encoded, 1, { t0: i * 0.2, keyEvery: 1 });
      now -= 70;
    }
    expect(encoded.segments[0]?.programDateTime).toBe(copied.segments[0]?.programDateTime as number);
    expect(encoded.segments[1]?.programDateTime).toBe(copied.segments[1]?.programDateTime as number);
    // Without the shared clock each rung would date from its own first arrival: 70 ms apart.
    const alone = new RenditionPackager(opts({ now: () => now + 70 }));
    alone.beginInput(init);
    feed(alone, 1, { keyEvery: 1 });
    expect(alone.segments[0]?.programDateTime).not.toBe(copied.segments[0]?.programDateTime as number);
  });
});
