import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StreamStateUpdate } from "@hearth/contracts";
import { createLogger } from "@hearth/server-kit";
import { manualTimers } from "../testing/manual-timers.ts";
import { feedFragments, SYNTHETIC_INIT } from "../testing/test-feed.ts";
import { DEFAULT_LADDER } from "./env.ts";
import type { IngestFeed } from "./ingest-feed.ts";
import { LlhlsRegistry } from "./llhls/llhls-stream.ts";
import type { RenditionPackager } from "./llhls/rendition-packager.ts";
import { StreamRegistry } from "./stream-registry.ts";
import type { Transcoder, TranscoderOptions } from "./transcoder.ts";

const dir = mkdtempSync(join(tmpdir(), "hearth-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A transcoder that runs no ffmpeg: each start is a new input of every packager (as a new ffmpeg's init
 * segments are), and `produce` writes fragments into all of them. Everything else is the real registry,
 * session, state machine and packagers.
 */
function fakeTranscoders() {
  const runs: Array<{ packagers: RenditionPackager[]; stopped: boolean }> = [];
  const make = (o: TranscoderOptions): Transcoder => {
    const run = { packagers: o.cmaf?.packagers ?? [], stopped: false };
    const fake = {
      start() {
        runs.push(run);
        for (const p of run.packagers) p.beginInput(SYNTHETIC_INIT);
      },
      async stop() {
        run.stopped = true;
        for (const p of run.packagers) p.endInput();
      },
      pid: () => (run.stopped ? null : 4242),
      stats: () => ({ pid: 4242, speed: 1, droppedFrames: 0, restarts: 0, startedAt: null }),
    };
    return fake as unknown as Transcoder;
  };
  return {
    make,
    runs,
    /** The newest ffmpeg writes `n` 0.2 s fragments (a keyframe every 5) to every rung. */
    produce(n: number) {
      const run = runs.at(-1);
      if (!run || run.stopped) throw new Error("no running transcoder");
      for (const p of run.packagers) feedFragments(p, n);
    },
  };
}

function feed(width = 640, height = 360): IngestFeed & { kicked: number } {
  const f = {
    kicked: 0,
    input: { kind: "flv-pipe" } as const,
    source: { videoCodec: "h264", width, height, fps: 30, audioCodec: "aac" },
    inBytes: () => 0,
    kick() {
      f.kicked += 1;
    },
  };
  return f;
}

function setup(graceSeconds = 10) {
  const clock = manualTimers();
  const reports: StreamStateUpdate[] = [];
  const transcoders = fakeTranscoders();
  const llhls = new LlhlsRegistry();
  const registry = new StreamRegistry({
    hlsDir: dir,
    llhls,
    ladder: DEFAULT_LADDER,
    segmentSeconds: 1,
    partSeconds: 0.2,
    listSize: 6,
    preset: "ultrafast",
    ffmpegPath: "ffmpeg",
    logger: createLogger({}, { silent: true }),
    reporter: {
      report: async (_id, u) => {
        reports.push(u);
      },
    },
    nodeId: "node-a",
    retentionSeconds: 60,
    reconnectGraceSeconds: graceSeconds,
    timers: clock.timers,
    transcoder: transcoders.make,
  });
  const phases = () => reports.map((r) => `${r.phase}#${r.origin.seq}`);
  return { clock, reports, phases, transcoders, llhls, registry };
}

/** Lets queued reports and async stops run. */
const settle = () => Bun.sleep(5);

describe("StreamRegistry: one state machine per stream, continuous packagers across publishers", () => {
  test("live once playable; a drop keeps the playlists open; the same key rejoins the same session", async () => {
    const { registry, transcoders, llhls, phases, reports, clock } = setup();
    const first = feed();
    expect(await registry.publishStarted("abc123", first)).toBe(true);
    expect(registry.isLive("abc123")).toBe(true);
    // Starting: not reported, not in heartbeats.
    expect(registry.heartbeatStreams()).toEqual([]);
    transcoders.produce(11);
    await settle();
    expect(phases()).toEqual(["live#1"]);
    expect(reports[0]?.rungs.map((r) => r.name)).toEqual(["source", "360p"]);
    expect(registry.heartbeatStreams()).toEqual([
      { publicId: "abc123", ...(reports[0] as StreamStateUpdate) },
    ]);
    const source = llhls.get("abc123")?.rendition("source") as RenditionPackager;
    const lastBefore = source.lastCompleteMsn();

    await registry.publishStopped("abc123", first, "dropped");
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2"]);
    expect(registry.isLive("abc123")).toBe(false);
    expect(registry.status("abc123")).toMatchObject({ live: true, phase: "reconnecting", input: null });
    expect(registry.heartbeatStreams()[0]?.phase).toBe("reconnecting");
    expect(source.ended).toBe(false);

    clock.advance(5_000);
    const second = feed(426, 240);
    expect(await registry.publishStarted("abc123", second)).toBe(true);
    // A third publisher while the second one feeds the stream is refused.
    expect(await registry.publishStarted("abc123", feed())).toBe(false);
    transcoders.produce(6);
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2", "live#3"]);
    expect(new Set(reports.map((r) => r.origin.session)).size).toBe(1);
    // The same packager goes on: numbers continue, the joint is a discontinuity with the second init.
    expect(llhls.get("abc123")?.rendition("source")).toBe(source);
    const joint = source.segments.find((s) => s.discontinuity);
    expect(joint?.msn).toBe(lastBefore + 2);
    expect(joint?.initSeq).toBe(1);

    await registry.publishStopped("abc123", second, "clean");
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2", "live#3", "ended#4"]);
    expect(source.ended).toBe(true);
    expect(registry.heartbeatStreams()).toEqual([]);
    expect(registry.status("abc123").live).toBe(false);
  });

  test("the grace expires: ended, playlists end; the next session numbers past the last", async () => {
    const { registry, transcoders, llhls, phases, clock } = setup(3);
    const f = feed();
    await registry.publishStarted("grace1", f);
    transcoders.produce(11);
    await settle();
    const old = llhls.get("grace1")?.rendition("source") as RenditionPackager;
    const lastOld = old.lastCompleteMsn();
    await registry.publishStopped("grace1", f, "dropped");
    clock.advance(2_999);
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2"]);
    clock.advance(1);
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2", "ended#3"]);
    expect(old.ended).toBe(true);
    // Much later the same stream starts again: a new session, a new packager, never numbered backwards.
    clock.advance(60_000);
    await registry.publishStarted("grace1", feed());
    transcoders.produce(6);
    await settle();
    const fresh = llhls.get("grace1")?.rendition("source") as RenditionPackager;
    expect(fresh).not.toBe(old);
    expect(fresh.segments[0]?.msn).toBeGreaterThan(lastOld);
    expect(phases().at(-1)).toBe("live#1");
  });

  test("the manager's stop while reconnecting ends it at once", async () => {
    const { registry, transcoders, phases } = setup();
    const f = feed();
    await registry.publishStarted("stop01", f);
    transcoders.produce(11);
    await settle();
    await registry.publishStopped("stop01", f, "dropped");
    await registry.remove("stop01");
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2", "ended#3"]);
    // The dropped publisher's late close changes nothing.
    await registry.publishStopped("stop01", f, "dropped");
    expect(phases()).toHaveLength(3);
  });
});
