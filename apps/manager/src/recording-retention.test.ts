import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@hearth/server-kit";
import { freshDatabase, manualClock } from "../testing/harness.ts";
import { ready, recordingManager, recordingOf } from "../testing/recording-manager.ts";
import { deadUrl, recordingNode } from "../testing/recording-node.ts";
import { nodeRecordingFiles } from "./recording-files.ts";
import { recordingRetention } from "./recording-retention.ts";

const DAY = 86_400_000;

let node: ReturnType<typeof recordingNode>;
beforeAll(() => {
  node = recordingNode();
});
afterAll(() => {
  node.stop();
});

/** Each test its own database: retention looks at every video there is. */
async function setup(o: { retentionMs?: number; maxBytes?: number; nodeTimeoutMs?: number } = {}) {
  const handle = await freshDatabase("postgres");
  const clock = manualClock();
  const m = recordingManager(handle, node, { now: clock.now });
  const s = await m.start("kept or not");
  let cleared = 0;
  const retention = recordingRetention({
    videos: m.videos,
    files: nodeRecordingFiles({
      nodes: m.nodes,
      single: node.client(),
      clientFor: (url) => node.client(url),
    }),
    chat: m.chat,
    logger: createLogger({}, { silent: true }),
    clock: clock.now,
    onDeleted: () => {
      cleared++;
    },
    retentionMs: o.retentionMs ?? 0,
    maxBytes: o.maxBytes ?? 0,
    nodeTimeoutMs: o.nodeTimeoutMs ?? 6000,
  });
  /** A finished video that started `agoMs` before the clock and lasted a minute. */
  const finished = async (agoMs: number, bytes = 1000, nodeId = "default") => {
    const r = recordingOf(s.publicId, 0, { startedAt: clock.now() - agoMs, bytes, node: nodeId });
    expect((await m.report(ready(r, 60, bytes))).status).toBe(204);
    return r.videoId;
  };
  const exists = async (id: string) => (await m.video(id)) !== 404;
  return { handle, clock, m, s, retention, finished, exists, cleared: () => cleared };
}

describe("recording retention", () => {
  test("by age: finished videos older than the retention go, oldest first; recordings and younger stay", async () => {
    const t = await setup({ retentionMs: 30 * DAY });
    try {
      const old = await t.finished(40 * DAY);
      const older = await t.finished(45 * DAY);
      const young = await t.finished(10 * DAY);
      const live = recordingOf(t.s.publicId, 0, { startedAt: t.clock.now() - 60 * DAY });
      expect((await t.m.report(live)).status).toBe(204);
      const before = node.calls.length;
      // Another report keeps the long recording fresh (its node is alive).
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 2 });
      expect(node.calls.slice(before).filter((c) => c.startsWith("delete recording"))).toEqual([
        `delete recording ${older}`,
        `delete recording ${old}`,
      ]);
      expect(node.calls.slice(before)).toContain(
        `delete messages ${t.s.publicId} ${t.clock.now() - 45 * DAY} ${t.clock.now() - 45 * DAY + 60_000}`,
      );
      for (const [id, kept] of [
        [old, false],
        [older, false],
        [young, true],
        [live.videoId, true],
      ] as const)
        expect(await t.exists(id)).toBe(kept);
      expect(t.cleared()).toBeGreaterThan(0);
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 0 });
      // Twenty-one days on, the young one is past the retention too.
      t.clock.advance(21 * DAY);
      expect((await t.m.report({ ...live, durationSeconds: 99 })).status).toBe(204);
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 1 });
      expect(await t.exists(young)).toBe(false);
    } finally {
      await t.handle.close();
    }
  });

  test("by size: the oldest finished videos go until all of them fit; 0 keeps everything", async () => {
    const t = await setup({ maxBytes: 2500 });
    try {
      const a = await t.finished(4 * DAY, 1000);
      const b = await t.finished(3 * DAY, 1000);
      const c = await t.finished(2 * DAY, 1000);
      const d = await t.finished(1 * DAY, 1000);
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 2 });
      expect([await t.exists(a), await t.exists(b), await t.exists(c), await t.exists(d)]).toEqual([
        false,
        false,
        true,
        true,
      ]);
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 0 });
    } finally {
      await t.handle.close();
    }
    const keepAll = await setup();
    try {
      const a = await keepAll.finished(400 * DAY, 10_000_000);
      expect(await keepAll.retention.sweep()).toEqual({ finalised: 0, deleted: 0 });
      expect(await keepAll.exists(a)).toBe(true);
    } finally {
      await keepAll.handle.close();
    }
  });

  test("by size, an oldest video whose node is unreachable is kept, and newer ones are not deleted in its place", async () => {
    const t = await setup({ maxBytes: 1500 });
    try {
      const gone = {
        id: "gone",
        rtmpServer: "rtmp://g.example/live",
        whipBase: "http://g.example/whip",
        hlsBase: "http://cdn.example/hls/g",
        internalUrl: deadUrl(),
        capacity: 1,
        load: 0,
      };
      const hb = await t.m.internal("/internal/nodes/heartbeat", "POST", gone);
      expect(hb.status).toBe(204);
      const stuck = await t.finished(3 * DAY, 1000, "gone");
      const next = await t.finished(2 * DAY, 1000);
      const newest = await t.finished(1 * DAY, 1000);
      const kept = async () => [await t.exists(stuck), await t.exists(next), await t.exists(newest)];
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 0 });
      expect(await kept()).toEqual([true, true, true]);
      // The node is back: the oldest goes first, then the next, until 1500 bytes hold.
      const back = await t.m.internal("/internal/nodes/heartbeat", "POST", {
        ...gone,
        internalUrl: node.url,
      });
      expect(back.status).toBe(204);
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 2 });
      expect(await kept()).toEqual([false, false, true]);
    } finally {
      await t.handle.close();
    }
  });

  test("a recording its node stopped reporting is finished after the node timeout, as last reported", async () => {
    const t = await setup({ nodeTimeoutMs: 6000 });
    try {
      const r = recordingOf(t.s.publicId, 0, { startedAt: t.clock.now() - 120_000, durationSeconds: 118 });
      expect((await t.m.report(r)).status).toBe(204);
      const heardAt = t.clock.now();
      t.clock.advance(5000);
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 0 });
      expect(await t.m.video(r.videoId)).toMatchObject({ state: "recording" });
      t.clock.advance(2000);
      expect(await t.retention.sweep()).toEqual({ finalised: 1, deleted: 0 });
      expect(await t.m.video(r.videoId)).toMatchObject({
        state: "ready",
        durationSeconds: 118,
        endedAt: new Date(heardAt).toISOString(),
      });
      // The node comes back and reports it recording after all: a finished video stays finished.
      expect((await t.m.report({ ...r, durationSeconds: 130 })).status).toBe(204);
      expect(await t.m.video(r.videoId)).toMatchObject({ state: "ready", durationSeconds: 118 });
      expect(await t.retention.sweep()).toEqual({ finalised: 0, deleted: 0 });
    } finally {
      await t.handle.close();
    }
  });
});
