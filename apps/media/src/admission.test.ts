import { describe, expect, test } from "bun:test";
import { admit, defaultBudget, ladderCost, nodeBudget } from "./admission.ts";
import { DEFAULT_LADDER } from "./env.ts";
import { planLadder, type SourceInfo } from "./ladder.ts";

const SRC: SourceInfo = { videoCodec: "h264", width: 1280, height: 720, fps: 30, audioCodec: "aac" };
const FULL = planLadder(DEFAULT_LADDER, SRC); // source (copy), 480p, 360p, 160p
const names = (a: ReturnType<typeof admit>) => (a.admitted ? a.rungs.map((r) => r.name) : a.reason);

describe("capacity model", () => {
  test("a 720p30 full ladder costs its encoded pixels plus one decode", () => {
    // 854x480 + 640x360 + 284x160 at 30 fps = 20.57 Mpx/s, plus 1280x720x30 x 0.25 = 6.91.
    expect(ladderCost(FULL, SRC, "veryfast")).toBeCloseTo(27.48, 1);
    expect(ladderCost(FULL, SRC, "ultrafast")).toBeCloseTo(20.57 * 0.6 + 6.91, 1);
    // Copying costs nothing in this unit: no encode, no decode.
    expect(ladderCost(FULL.slice(0, 1), SRC, "veryfast")).toBe(0);
  });

  test("the default budget of a 2-core node holds the three full 720p30 veryfast ladders bench/capacity kept real time", () => {
    expect(defaultBudget(2)).toBe(85);
    expect(Math.floor(defaultBudget(2) / ladderCost(FULL, SRC, "veryfast"))).toBe(3);
    // Budget follows the cores: an 8-core node holds about four times as many.
    expect(Math.floor(defaultBudget(8) / ladderCost(FULL, SRC, "veryfast"))).toBe(12);
  });
});

describe("admit", () => {
  const c = { budget: 60, maxStreams: 4, preset: "veryfast" };

  test("the full ladder when it fits", () => {
    const a = admit(c, { used: 0, streams: 0 }, FULL, SRC);
    expect(a).toMatchObject({ admitted: true, level: "full", reason: null });
    expect(names(a)).toEqual(["source", "480p", "360p", "160p"]);
  });

  test("the ladder loses its tallest encoded rungs first when the whole does not fit", () => {
    // 60 - 40 = 20 free: without 480p the ladder costs 6.91 + 8.27 = 15.2.
    const a = admit(c, { used: 40, streams: 1 }, FULL, SRC);
    expect(a).toMatchObject({ admitted: true, level: "reduced" });
    expect(names(a)).toEqual(["source", "360p", "160p"]);
    if (a.admitted) expect(a.cost).toBeLessThanOrEqual(20);
    expect(a.admitted && a.reason).toContain("budget");
  });

  test("source only (copied) when not even the smallest rung fits", () => {
    const a = admit(c, { used: 55, streams: 2 }, FULL, SRC);
    expect(a).toMatchObject({ admitted: true, level: "source", cost: 0 });
    expect(a.admitted && a.rungs[0]?.video).toEqual({ mode: "copy" });
  });

  test("a source taller than the ladder's maximum is copied as it is when only the source fits", () => {
    const tall: SourceInfo = { ...SRC, width: 2560, height: 1440 };
    const full = planLadder(DEFAULT_LADDER, tall);
    expect(full[0]?.video.mode).toBe("encode");
    const a = admit({ ...c, budget: 0 }, { used: 0, streams: 0 }, full, tall);
    expect(a).toMatchObject({ admitted: true, level: "source" });
    expect(a.admitted && [a.rungs[0]?.width, a.rungs[0]?.height, a.rungs[0]?.video.mode]).toEqual([
      2560,
      1440,
      "copy",
    ]);
  });

  test("refused beyond the hard stream limit, whatever the budget", () => {
    const a = admit({ ...c, budget: 1e9 }, { used: 0, streams: 4 }, FULL, SRC);
    expect(a).toMatchObject({ admitted: false, retryAfterSeconds: 30 });
    expect(a.admitted === false && a.reason).toContain("limit of 4");
  });

  test("a source that must be re-encoded is refused when nothing is left for it", () => {
    const hevc: SourceInfo = { ...SRC, videoCodec: "hevc" };
    const a = admit(c, { used: 60, streams: 1 }, planLadder(DEFAULT_LADDER, hevc), hevc);
    expect(a.admitted).toBe(false);
  });

  test("first come, first served: streams admitted in turn get less as the budget fills", () => {
    const load = { used: 0, streams: 0 };
    const levels: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = admit({ ...c, budget: 72 }, load, FULL, SRC);
      levels.push(a.admitted ? a.level : "refused");
      if (a.admitted) {
        load.used += a.cost;
        load.streams += 1;
      }
    }
    expect(levels).toEqual(["full", "full", "reduced", "source", "refused"]);
  });

  test("the heartbeat's budget", () => {
    expect(nodeBudget(c, { used: 27.48, streams: 1 }, 27.48)).toEqual({
      total: 60,
      used: 27.5,
      fullLadder: 27.5,
      maxStreams: 4,
    });
  });
});
