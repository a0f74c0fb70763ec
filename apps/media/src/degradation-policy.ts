import type { StreamQuality } from "@hearth/contracts";
import { sourceOnly } from "./admission.ts";
import type { PlannedRung, SourceInfo } from "./ladder.ts";

/** One quality a stream can run at: which rungs, which preset. */
export interface QualityStep {
  level: StreamQuality["level"];
  preset: string;
  rungs: PlannedRung[];
}

/** The cheapest x264 preset: the first thing a stream that falls behind gets. */
export const CHEAPEST_PRESET = "ultrafast";

/**
 * The cheaper steps after `current`, in order: the cheapest preset first (same rungs), then one encoded rung
 * fewer at a time (tallest first: the low rungs are what weak connections need), then source only.
 */
export function cheaperSteps(current: QualityStep, source: SourceInfo): QualityStep[] {
  const steps: QualityStep[] = [];
  const encodes = (rungs: PlannedRung[]) => rungs.some((r) => r.video.mode === "encode");
  if (!encodes(current.rungs)) return steps;
  let preset = current.preset;
  if (preset !== CHEAPEST_PRESET) {
    preset = CHEAPEST_PRESET;
    steps.push({ level: current.level, preset, rungs: current.rungs });
  }
  const tallestFirst = current.rungs
    .filter((r, i) => i > 0 && r.video.mode === "encode")
    .sort((a, b) => b.height - a.height);
  for (let drop = 1; drop < tallestFirst.length; drop++) {
    const gone = new Set(tallestFirst.slice(0, drop));
    steps.push({ level: "reduced", preset, rungs: current.rungs.filter((r) => !gone.has(r)) });
  }
  const only = sourceOnly(current.rungs, source);
  if (!encodes(only)) steps.push({ level: "source", preset, rungs: only });
  return steps;
}

export interface DegradationConfig {
  /** Below this output rate (media seconds per wall second) a stream is falling behind. */
  minSpeed: number;
  /** How long the rate must stay low before acting, ms. */
  windowMs: number;
  /** Media waiting for ffmpeg beyond this (ms) means it is behind its input, not starved by the publisher. */
  backlogMs: number;
  /** After a (re)start, how long before judging again (start-up, first GOP), ms. */
  settleMs: number;
  /**
   * The newest part may be this much older than the wall clock (ms) before the stream is behind, whatever its
   * speed: a transcoder at 0.98x never trips `minSpeed` but drifts 12 s behind in ten minutes. A segment plus
   * the part's own duration and the publisher's jitter; 0 turns the rule off.
   */
  maxPartAgeMs: number;
}

/**
 * 0.97 over 4 s with at least half a second queued; 8 s to settle after each (re)start (ffmpeg's start-up
 * and the GOP cache it is handed first take seconds on a busy node and must not count as falling behind).
 */
export const DEFAULT_DEGRADATION: DegradationConfig = {
  minSpeed: 0.97,
  windowMs: 4000,
  backlogMs: 500,
  settleMs: 8000,
  maxPartAgeMs: 3000,
};

/** One progress observation. */
export interface SpeedSample {
  /** Wall clock, ms. */
  at: number;
  /** ffmpeg's output time (`out_time_us`), µs. */
  outTimeUs: number;
  /** Media waiting for ffmpeg's stdin, ms. */
  backlogMs: number;
  /** How far the newest part's end is behind the wall clock, ms (program date-time); absent when unknown. */
  partAgeMs?: number;
}

/**
 * Watches one transcoder: says when it has fallen behind real time and must be made cheaper. Pure: it is
 * fed samples and asked with the time, so tests drive it with any clock and any speeds.
 *
 * Behind = its output advanced slower than `minSpeed` x wall time over the last `windowMs` while its input
 * queue held more than `backlogMs` all that time (a publisher that sends slowly starves ffmpeg: that is not our fault and
 * no cheaper ladder helps), or its newest part stayed older than `maxPartAgeMs` over the window with input queued
 * (a drift the rate alone misses), or the bounded input queue overflowed (media was dropped).
 */
export class DegradationWatch {
  private samples: SpeedSample[] = [];
  private settleUntil: number;
  private overflowed = false;
  private behind = false;
  /** Since when every sample has had more than `backlogMs` queued (null: the last one had not). */
  private backlogSince: number | null = null;
  /** Since when every sample's newest part has been older than `maxPartAgeMs` (null: the last one's was not). */
  private staleSince: number | null = null;
  private lastPartAgeMs = 0;

  constructor(
    private readonly c: DegradationConfig,
    now: number,
  ) {
    this.settleUntil = now + c.settleMs;
  }

  /** ffmpeg (re)started with new settings: forget the old samples and let it settle. */
  restarted(now: number): void {
    this.samples = [];
    this.backlogSince = null;
    this.staleSince = null;
    this.overflowed = false;
    this.settleUntil = now + this.c.settleMs;
  }

  /** The input queue overflowed (media dropped to the next keyframe). */
  overflow(): void {
    this.overflowed = true;
  }

  observe(s: SpeedSample): void {
    this.samples.push(s);
    if (s.backlogMs <= this.c.backlogMs) this.backlogSince = null;
    else this.backlogSince ??= s.at;
    const stale = this.c.maxPartAgeMs > 0 && s.partAgeMs !== undefined && s.partAgeMs > this.c.maxPartAgeMs;
    if (!stale) this.staleSince = null;
    else this.staleSince ??= s.at;
    this.lastPartAgeMs = s.partAgeMs ?? 0;
    // Keep just over one window of samples.
    while (this.samples.length > 2 && s.at - (this.samples[1] as SpeedSample).at >= this.c.windowMs)
      this.samples.shift();
  }

  /** The output rate over the last window (null until a window of samples exists). */
  rate(now: number): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || now - first.at < this.c.windowMs || last.at - first.at <= 0) return null;
    return (last.outTimeUs - first.outTimeUs) / 1000 / (last.at - first.at);
  }

  /** False while the stream is judged behind real time (until its next restart). */
  realtime(): boolean {
    return !this.behind;
  }

  /** Asked about once a second: a reason to make the stream cheaper now, or null. */
  check(now: number): string | null {
    if (now < this.settleUntil) {
      this.overflowed = false;
      return null;
    }
    if (this.overflowed) {
      this.behind = true;
      return "ffmpeg's input queue overflowed (media dropped): the transcoder is slower than real time";
    }
    const rate = this.rate(now);
    const queuedAllWindow = this.backlogSince !== null && now - this.backlogSince >= this.c.windowMs;
    if (rate !== null && rate < this.c.minSpeed && queuedAllWindow) {
      this.behind = true;
      return `transcoder at ${rate.toFixed(2)}x real time over ${this.c.windowMs / 1000} s`;
    }
    // Old output with input waiting is our lag; old output with nothing queued is a publisher that went quiet.
    const staleAllWindow = this.staleSince !== null && now - this.staleSince >= this.c.windowMs;
    if (staleAllWindow && queuedAllWindow) {
      this.behind = true;
      return `newest part ${(this.lastPartAgeMs / 1000).toFixed(1)} s behind the wall clock for ${this.c.windowMs / 1000} s`;
    }
    this.behind = false;
    return null;
  }
}
