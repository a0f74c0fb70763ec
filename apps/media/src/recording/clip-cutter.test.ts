import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexEntry, recordingMeta } from "../../testing/stored-recording.ts";
import { ClipCutError, cutClip, segmentsWithin, selectRange } from "./clip-cutter.ts";
import { FsRecordingStorage, type IndexEntry } from "./storage.ts";

const T0 = Date.UTC(2026, 10, 29, 4);
/** 20 segments of 1 s, a 10 s gap (a reconnect) after the 10th. */
const entries: IndexEntry[] = Array.from({ length: 20 }, (_, i) =>
  indexEntry(100 + i, T0 + i * 1000 + (i >= 10 ? 10_000 : 0), {
    initSeq: i < 10 ? 0 : 1,
    discontinuity: i === 10,
    bytes: 4,
  }),
);

describe("clip range selection", () => {
  test("offset: seconds along the recording's own timeline (the reconnect gap does not count)", () => {
    expect(selectRange(entries, { kind: "offset", startSeconds: 8 }, 5)).toEqual({
      fromMs: T0 + 8000,
      toMs: T0 + 23_000,
    });
    // Mid-segment edges: a segment whose middle is inside is taken whole, so the clip stays within a segment of 5 s.
    expect(selectRange(entries, { kind: "offset", startSeconds: 2.5 }, 5)).toEqual({
      fromMs: T0 + 2000,
      toMs: T0 + 7000,
    });
    expect(selectRange(entries, { kind: "offset", startSeconds: 2.6 }, 5)).toEqual({
      fromMs: T0 + 3000,
      toMs: T0 + 8000,
    });
    expect(selectRange(entries, { kind: "offset", startSeconds: 25 }, 5)).toBeNull();
  });

  test("wall: the duration before endAtMs, by program date-time", () => {
    expect(selectRange(entries, { kind: "wall", endAtMs: T0 + 30_000 }, 10)).toEqual({
      fromMs: T0 + 20_000,
      toMs: T0 + 30_000,
    });
    expect(selectRange(entries, { kind: "wall", endAtMs: T0 - 1 }, 10)).toBeNull();
    // Entirely inside the reconnect gap: nothing recorded.
    expect(selectRange(entries, { kind: "wall", endAtMs: T0 + 19_000 }, 5)).toBeNull();
  });

  test("another rung's segments are picked by where their middle falls", () => {
    const shifted = entries.map((e) => ({ ...e, pdt: e.pdt + 30 }));
    expect(segmentsWithin(shifted, T0 + 2000, T0 + 5000).map((e) => e.msn)).toEqual([102, 103, 104]);
  });
});

describe("cutClip", () => {
  const root = mkdtempSync(join(tmpdir(), "hearth-clip-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const storage = new FsRecordingStorage(root);

  test("copies whole segments of every rung with their inits; the copy outlives the recording", async () => {
    const id = "video00000000001";
    await storage.writeMeta(
      "recordings",
      id,
      recordingMeta(id, {
        createdAt: T0,
        rungs: [
          { name: "source", width: 160, height: 90, codecs: [] },
          { name: "160p", width: 160, height: 90, codecs: [] },
        ],
      }),
    );
    for (const r of ["source", "160p"]) {
      for (const seq of [0, 1])
        await storage.writeMedia("recordings", id, r, { kind: "init", seq }, new Uint8Array([seq]));
      for (const e of entries) {
        await storage.writeMedia(
          "recordings",
          id,
          r,
          { kind: "segment", msn: e.msn },
          new Uint8Array([1, 2, 3, 4]),
        );
        await storage.appendIndex("recordings", id, r, e);
      }
    }
    const result = await cutClip(storage, {
      clipId: "clip000000000001",
      videoId: id,
      range: { kind: "offset", startSeconds: 8 },
      durationSeconds: 5,
    });
    expect(result).toMatchObject({ clipId: "clip000000000001", startedAt: T0 + 8000, durationSeconds: 5 });
    await storage.remove("recordings", id);
    for (const r of ["source", "160p"]) {
      const idx = await storage.readIndex("clips", "clip000000000001", r);
      expect(idx.map((e) => e.msn)).toEqual([108, 109, 110, 111, 112]);
      // The clip opens clean; the joint inside it stays.
      expect(idx.map((e) => e.discontinuity)).toEqual([false, false, true, false, false]);
      for (const e of idx)
        expect(
          await storage.openMedia("clips", "clip000000000001", r, { kind: "segment", msn: e.msn }),
        ).not.toBeNull();
      for (const seq of [0, 1])
        expect(await storage.openMedia("clips", "clip000000000001", r, { kind: "init", seq })).not.toBeNull();
    }
    expect((await storage.readMeta("clips", "clip000000000001"))?.state).toBe("ready");
  });

  test("an unknown recording and an empty range are typed refusals", async () => {
    const req = {
      clipId: "clip000000000002",
      videoId: "nosuchvideo00001",
      range: { kind: "offset" as const, startSeconds: 0 },
      durationSeconds: 5,
    };
    await expect(cutClip(storage, req)).rejects.toBeInstanceOf(ClipCutError);
    await expect(cutClip(storage, req)).rejects.toMatchObject({ reason: "unknown_recording" });
  });
});
