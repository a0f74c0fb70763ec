import type { RenditionPackager } from "../src/llhls/rendition-packager.ts";
import type { Transcoder, TranscoderOptions } from "../src/transcoder.ts";
import { feedFragments, SYNTHETIC_INIT } from "./test-feed.ts";

/**
 * A transcoder that runs no ffmpeg: each start is a new input of every packager (as a new ffmpeg's init
 * segments are), and `produce` writes fragments into all of them. Everything else is the real registry,
 * session, state machine and packagers.
 */
export function fakeTranscoders() {
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
      // What the quality governor and the metrics read: a transcoder at real time with nothing queued.
      outTimeUs: () => null,
      backlogMs: () => 0,
      feedDrops: () => ({ overflows: 0, droppedTags: 0, droppedBytes: 0 }),
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
