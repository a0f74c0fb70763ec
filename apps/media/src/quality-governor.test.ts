import { expect, test } from "bun:test";
import type { StreamQuality } from "@hearth/contracts";
import { createLogger } from "@hearth/server-kit";
import { ManualClock } from "./clock.ts";
import type { QualityStep } from "./degradation-policy.ts";
import { DEFAULT_LADDER } from "./env.ts";
import { planLadder, type SourceInfo } from "./ladder.ts";
import { QualityGovernor } from "./quality-governor.ts";

const SRC: SourceInfo = { videoCodec: "h264", width: 1280, height: 720, fps: 30, audioCodec: "aac" };
const logger = createLogger({}, { silent: true });

test("a transcoder that falls behind is made cheaper step by step, each reported once", () => {
  const clock = new ManualClock();
  const t = { out: 0, speed: 0.6, backlog: 3000, overflows: 0 };
  const applied: QualityStep[] = [];
  const changes: StreamQuality[] = [];
  const g = new QualityGovernor({
    initial: { level: "full", preset: "veryfast", rungs: planLadder(DEFAULT_LADDER, SRC) },
    initialReason: null,
    source: SRC,
    transcoder: {
      outTimeUs: () => t.out,
      backlogMs: () => t.backlog,
      feedDrops: () => ({ overflows: t.overflows, droppedTags: 0, droppedBytes: 0 }),
    },
    apply: (s) => {
      applied.push(s);
      t.out = 0; // a new ffmpeg starts at 0
    },
    onChange: (q) => changes.push(q),
    logger,
    clock,
  });
  g.start();
  for (let i = 0; i < 60; i++) {
    t.out += t.speed * 1e6;
    clock.advance(1000);
  }
  expect(applied.map((s) => `${s.level}/${s.preset}/${s.rungs.length}`)).toEqual([
    "full/ultrafast/4",
    "reduced/ultrafast/3",
    "reduced/ultrafast/2",
    "source/ultrafast/1",
  ]);
  expect(g.degradations).toBe(4);
  const q = g.quality();
  expect(q).toMatchObject({ level: "source", preset: null, rungs: ["source"], realtime: false });
  expect(q.reason).toContain("real time");
  expect(changes.length).toBeGreaterThanOrEqual(4);
  g.stop();
  expect(clock.pending()).toBe(0);
});

test("a transcoder at real time keeps its ladder", () => {
  const clock = new ManualClock();
  const t = { out: 0 };
  const applied: QualityStep[] = [];
  const g = new QualityGovernor({
    initial: { level: "full", preset: "veryfast", rungs: planLadder(DEFAULT_LADDER, SRC) },
    initialReason: null,
    source: SRC,
    transcoder: {
      outTimeUs: () => t.out,
      backlogMs: () => 100,
      feedDrops: () => ({ overflows: 0, droppedTags: 0, droppedBytes: 0 }),
    },
    apply: (s) => applied.push(s),
    logger,
    clock,
  });
  g.start();
  for (let i = 0; i < 60; i++) {
    t.out += 1e6;
    clock.advance(1000);
  }
  expect(applied).toEqual([]);
  expect(g.quality()).toMatchObject({ level: "full", preset: "veryfast", realtime: true, reason: null });
  g.stop();
});
