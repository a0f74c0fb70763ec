import { describe, expect, test } from "bun:test";
import { cheaperSteps, DEFAULT_DEGRADATION, DegradationWatch } from "./degradation-policy.ts";
import { DEFAULT_LADDER } from "./env.ts";
import { planLadder, type SourceInfo } from "./ladder.ts";

const SRC: SourceInfo = { videoCodec: "h264", width: 1280, height: 720, fps: 30, audioCodec: "aac" };
const FULL = planLadder(DEFAULT_LADDER, SRC);

describe("cheaperSteps", () => {
  test("cheapest preset first, then one rung fewer at a time (tallest first), then source only", () => {
    const steps = cheaperSteps({ level: "full", preset: "veryfast", rungs: FULL }, SRC);
    expect(steps.map((s) => `${s.level} ${s.preset} ${s.rungs.map((r) => r.name).join("+")}`)).toEqual([
      "full ultrafast source+480p+360p+160p",
      "reduced ultrafast source+360p+160p",
      "reduced ultrafast source+160p",
      "source ultrafast source",
    ]);
    expect(steps.at(-1)?.rungs[0]?.video).toEqual({ mode: "copy" });
  });

  test("a stream already at the cheapest preset goes straight to fewer rungs; source only has nowhere to go", () => {
    const steps = cheaperSteps({ level: "full", preset: "ultrafast", rungs: FULL }, SRC);
    expect(steps[0]?.rungs.map((r) => r.name)).toEqual(["source", "360p", "160p"]);
    expect(cheaperSteps({ level: "source", preset: "ultrafast", rungs: FULL.slice(0, 1) }, SRC)).toEqual([]);
  });
});

/** Feeds one sample a second at `speed` with `backlogMs` queued (and the newest part `partAgeMs` old), from `from` to `to` (ms). */
function run(
  w: DegradationWatch,
  o: { from: number; to: number; speed: number; backlogMs: number; out: { us: number }; partAgeMs?: number },
) {
  const reasons: Array<[number, string]> = [];
  for (let t = o.from; t <= o.to; t += 1000) {
    o.out.us += o.speed * 1e6;
    w.observe({
      at: t,
      outTimeUs: o.out.us,
      backlogMs: o.backlogMs,
      ...(o.partAgeMs === undefined ? {} : { partAgeMs: o.partAgeMs }),
    });
    const r = w.check(t);
    if (r) reasons.push([t, r]);
  }
  return reasons;
}

describe("DegradationWatch", () => {
  test("a transcoder at real time is left alone", () => {
    const w = new DegradationWatch(DEFAULT_DEGRADATION, 0);
    expect(run(w, { from: 0, to: 60_000, speed: 1, backlogMs: 100, out: { us: 0 } })).toEqual([]);
    expect(w.realtime()).toBe(true);
  });

  test("below 0.97 with a backlog for the whole window: made cheaper, once the window is full", () => {
    const w = new DegradationWatch(DEFAULT_DEGRADATION, 0);
    const out = { us: 0 };
    expect(run(w, { from: 0, to: 10_000, speed: 1, backlogMs: 0, out })).toEqual([]);
    const reasons = run(w, { from: 11_000, to: 20_000, speed: 0.8, backlogMs: 2000, out });
    // The window (4 s) must be mostly slow before the rate over it drops under 0.97.
    expect(reasons[0]?.[0]).toBeGreaterThanOrEqual(12_000);
    expect(reasons[0]?.[0]).toBeLessThanOrEqual(15_000);
    expect(reasons[0]?.[1]).toContain("real time");
    expect(w.realtime()).toBe(false);
  });

  test("a short dip does not count; nor does a publisher that sends slowly (no backlog)", () => {
    const w = new DegradationWatch(DEFAULT_DEGRADATION, 0);
    const out = { us: 0 };
    run(w, { from: 0, to: 10_000, speed: 1, backlogMs: 0, out });
    expect(run(w, { from: 11_000, to: 11_000, speed: 0.5, backlogMs: 900, out })).toEqual([]);
    expect(run(w, { from: 12_000, to: 30_000, speed: 1, backlogMs: 0, out })).toEqual([]);
    expect(run(w, { from: 31_000, to: 60_000, speed: 0.5, backlogMs: 0, out })).toEqual([]);
  });

  test("after a restart it settles before judging again", () => {
    const w = new DegradationWatch(DEFAULT_DEGRADATION, 0);
    const out = { us: 0 };
    run(w, { from: 0, to: 10_000, speed: 0.5, backlogMs: 3000, out });
    w.restarted(10_500);
    const reasons = run(w, { from: 11_000, to: 30_000, speed: 0.5, backlogMs: 3000, out });
    // Settle 4 s, then a full 4 s window of samples.
    expect(reasons[0]?.[0]).toBeGreaterThanOrEqual(15_000);
  });

  test("at full speed but with its newest part older than the limit and input queued: behind (a drift)", () => {
    const w = new DegradationWatch(DEFAULT_DEGRADATION, 0);
    const out = { us: 0 };
    expect(run(w, { from: 0, to: 10_000, speed: 1, backlogMs: 800, out, partAgeMs: 1500 })).toEqual([]);
    const reasons = run(w, { from: 11_000, to: 20_000, speed: 1, backlogMs: 800, out, partAgeMs: 5200 });
    expect(reasons[0]?.[0]).toBe(15_000);
    expect(reasons[0]?.[1]).toBe("newest part 5.2 s behind the wall clock for 4 s");
    expect(w.realtime()).toBe(false);
  });

  test("an old newest part without input queued is a quiet publisher, not lag; the rule can be turned off", () => {
    const quiet = new DegradationWatch(DEFAULT_DEGRADATION, 0);
    expect(
      run(quiet, { from: 0, to: 30_000, speed: 1, backlogMs: 0, out: { us: 0 }, partAgeMs: 9000 }),
    ).toEqual([]);
    const off = new DegradationWatch({ ...DEFAULT_DEGRADATION, maxPartAgeMs: 0 }, 0);
    expect(
      run(off, { from: 0, to: 30_000, speed: 1, backlogMs: 900, out: { us: 0 }, partAgeMs: 9000 }),
    ).toEqual([]);
  });

  test("an input overflow is acted on at once (after the settle time)", () => {
    const w = new DegradationWatch(DEFAULT_DEGRADATION, 0);
    w.overflow();
    expect(w.check(1000)).toBeNull(); // settling: start-up bursts do not count
    w.overflow();
    expect(w.check(DEFAULT_DEGRADATION.settleMs + 1000)).toContain("overflowed");
  });
});
