import type { NodeBudget, StreamQuality } from "@hearth/contracts";
import type { PlannedRung, SourceInfo } from "./ladder.ts";

/**
 * The node's capacity model. A stream costs what its ffmpeg encodes: for every encoded rung, width x height x
 * fps x the preset's factor, plus one decode of the source when anything is encoded. The unit is one million
 * pixels a second encoded with x264 `veryfast` ("Mpx/s"). Copying (source only) costs nothing in this unit:
 * the hard stream limit bounds those.
 *
 * Calibration: the 720p30 Twitch-style ladder (source copied + 480p + 360p + 160p encoded, 20.6 Mpx/s, plus one
 * decode: 27.5 in this unit) took 0.42-0.48 core in ffmpeg alone (2026-11-29, the bench clip transcoded as fast as it
 * goes, CPU time over media time) and ~0.65 core with the node's own work around it (bench/capacity at N=1-2). So one
 * core holds about 50 Mpx/s (the safe side: bench/capacity kept 3 full ladders real time on 2 cores, not 4), and a
 * decode costs about a quarter of an encode per pixel.
 */
export const MPX_PER_CORE = 50;
/** A decode's cost per pixel relative to a veryfast encode (bench/transcode: a 720p30 decode alone, 27.6 Mpx/s, 0.055-0.100 core). */
export const DECODE_FACTOR = 0.25;
/** Share of the cores given to ffmpeg: the rest is for ingest, the packager, HTTP and the OS. */
export const HEADROOM = 0.85;

/**
 * x264 presets' cost relative to veryfast (bench/transcode: ultrafast 0.23-0.28 and superfast 0.30-0.37 vs
 * veryfast 0.36-0.45 core for the same ladder; the slower presets are x264's own documented ratios, rounded).
 */
export const PRESET_FACTOR: Record<string, number> = {
  ultrafast: 0.6,
  superfast: 0.8,
  veryfast: 1,
  faster: 1.4,
  fast: 1.8,
  medium: 2.2,
};

/** The default budget for `cores` cores, in Mpx/s. */
export function defaultBudget(cores: number): number {
  return Math.round(Math.max(1, cores) * MPX_PER_CORE * HEADROOM);
}

/** What one planned ladder costs at `preset` (Mpx/s). */
export function ladderCost(rungs: PlannedRung[], source: SourceInfo, preset: string): number {
  const fps = source.fps > 0 ? source.fps : 30;
  const factor = PRESET_FACTOR[preset] ?? 1;
  let cost = 0;
  for (const r of rungs) if (r.video.mode === "encode") cost += ((r.width * r.height * fps) / 1e6) * factor;
  if (cost === 0) return 0;
  return cost + ((source.width * source.height * fps) / 1e6) * DECODE_FACTOR;
}

/** A ladder with only the source rung, copied when the codecs allow (H.264 video; AAC audio, else re-encoded). */
export function sourceOnly(rungs: PlannedRung[], source: SourceInfo): PlannedRung[] {
  const src = rungs[0];
  if (!src) return [];
  if (source.videoCodec !== "h264") return [src];
  return [{ ...src, width: source.width, height: source.height, video: { mode: "copy" } }];
}

export interface AdmissionConfig {
  /** Total budget, Mpx/s (0: source copies only). */
  budget: number;
  /** Hard limit of live streams on this node. */
  maxStreams: number;
  preset: string;
}

/** What the node runs now. */
export interface NodeLoad {
  /** Sum of the live streams' current costs. */
  used: number;
  streams: number;
}

export type Admission =
  | {
      admitted: true;
      level: StreamQuality["level"];
      rungs: PlannedRung[];
      cost: number;
      /** Why the stream is not on its full ladder; null when it is. */
      reason: string | null;
    }
  | { admitted: false; reason: string; retryAfterSeconds: number };

/** How long a refused publisher should wait before trying again: streams end, or their budget frees. */
export const RETRY_AFTER_SECONDS = 30;

/**
 * Decides one publish, first come first served: the full ladder when it fits in what is left of the budget;
 * else the ladder without its most expensive encoded rungs (tallest first) until it fits; else source only;
 * refused only beyond the hard stream limit (or when a source that must be re-encoded does not fit at all).
 */
export function admit(
  c: AdmissionConfig,
  load: NodeLoad,
  full: PlannedRung[],
  source: SourceInfo,
): Admission {
  if (load.streams >= c.maxStreams)
    return {
      admitted: false,
      reason: `this media node is at its limit of ${c.maxStreams} live streams`,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    };
  const free = Math.max(0, c.budget - load.used);
  const fullCost = ladderCost(full, source, c.preset);
  if (fullCost <= free) return { admitted: true, level: "full", rungs: full, cost: fullCost, reason: null };
  // Drop encoded rungs, tallest (most expensive) first; the low rungs are what weak connections need.
  const encoded = full
    .filter((r, i) => i > 0 && r.video.mode === "encode")
    .sort((a, b) => b.height - a.height);
  for (let drop = 1; drop < encoded.length; drop++) {
    const gone = new Set(encoded.slice(0, drop));
    const rungs = full.filter((r) => !gone.has(r));
    const cost = ladderCost(rungs, source, c.preset);
    if (cost <= free)
      return {
        admitted: true,
        level: "reduced",
        rungs,
        cost,
        reason: `transcode budget: ${round(free)} of ${round(c.budget)} Mpx/s free, the full ladder needs ${round(fullCost)}`,
      };
  }
  const only = sourceOnly(full, source);
  const cost = ladderCost(only, source, c.preset);
  if (cost <= free || cost === 0)
    return {
      admitted: true,
      level: "source",
      rungs: only,
      cost,
      reason: `transcode budget: ${round(free)} of ${round(c.budget)} Mpx/s free; source only`,
    };
  return {
    admitted: false,
    reason: "no transcode budget left for a source that must be re-encoded (not H.264)",
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The heartbeat's view of the budget. `typicalFull` is one full ladder of a 720p30 source here. */
export function nodeBudget(c: AdmissionConfig, load: NodeLoad, typicalFull: number): NodeBudget {
  return {
    total: round(c.budget),
    used: round(Math.min(load.used, Number.MAX_SAFE_INTEGER)),
    fullLadder: round(typicalFull),
    maxStreams: c.maxStreams,
  };
}
