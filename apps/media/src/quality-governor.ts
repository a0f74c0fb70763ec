import type { StreamQuality } from "@hearth/contracts";
import type { Logger } from "@hearth/server-kit";
import type { FeedDrops } from "./bounded-feed.ts";
import { type Clock, type ClockTimer, systemClock } from "./clock.ts";
import {
  cheaperSteps,
  DEFAULT_DEGRADATION,
  type DegradationConfig,
  DegradationWatch,
  type QualityStep,
} from "./degradation-policy.ts";
import type { SourceInfo } from "./ladder.ts";

/** What the governor reads of a transcoder (declared here, by the consumer). */
export interface WatchedTranscoder {
  /** ffmpeg's output time, µs (null before the first report). */
  outTimeUs(): number | null;
  backlogMs(): number;
  feedDrops(): FeedDrops;
}

export interface QualityGovernorOptions {
  /** What admission gave the stream. */
  initial: QualityStep;
  /** Why the initial step is not the full ladder (admission), null when it is. */
  initialReason: string | null;
  source: SourceInfo;
  transcoder: WatchedTranscoder;
  /** How far the stream's newest part is behind the wall clock, ms (see part-age.ts); null when unknown. */
  partAgeMs?: () => number | null;
  /** Restarts ffmpeg on `step` under the same packagers. */
  apply(step: QualityStep): void;
  /** The stream's quality changed (for the state report). */
  onChange?(q: StreamQuality): void;
  logger: Logger;
  clock?: Clock;
  config?: DegradationConfig;
  tickMs?: number;
}

/**
 * Keeps one stream real-time: samples its transcoder about once a second and, when the degradation policy
 * says it has fallen behind, moves it to the next cheaper step (cheapest preset, then fewer rungs, then
 * source only). Never the other way: a stream that got cheaper stays so for the session.
 */
export class QualityGovernor {
  private step: QualityStep;
  private reason: string | null;
  private readonly watch: DegradationWatch;
  private readonly clock: Clock;
  private timer: ClockTimer | null = null;
  private lastOut: number | null = null;
  private lastOverflows = 0;
  private stopped = false;
  /** Degradations of this stream so far. */
  degradations = 0;

  constructor(private readonly o: QualityGovernorOptions) {
    this.clock = o.clock ?? systemClock;
    this.step = o.initial;
    this.reason = o.initialReason;
    this.watch = new DegradationWatch(o.config ?? DEFAULT_DEGRADATION, this.clock.now());
  }

  /** The stream's quality for status and state reports. */
  quality(): StreamQuality {
    const encodes = this.step.rungs.some((r) => r.video.mode === "encode");
    return {
      level: this.step.level,
      preset: encodes ? this.step.preset : null,
      rungs: this.step.rungs.map((r) => r.name),
      reason: this.reason,
      realtime: this.watch.realtime(),
    };
  }

  start(): void {
    if (this.stopped || this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.tick();
      this.start();
    }, this.o.tickMs ?? 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** One observation and decision (public for tests). */
  tick(): void {
    const now = this.clock.now();
    const out = this.o.transcoder.outTimeUs();
    if (out !== null) {
      // A smaller output time is a new ffmpeg (a crash restart): judge it afresh.
      if (this.lastOut !== null && out < this.lastOut) this.watch.restarted(now);
      this.lastOut = out;
      const partAgeMs = this.o.partAgeMs?.() ?? null;
      this.watch.observe({
        at: now,
        outTimeUs: out,
        backlogMs: this.o.transcoder.backlogMs(),
        ...(partAgeMs === null ? {} : { partAgeMs }),
      });
    }
    const overflows = this.o.transcoder.feedDrops().overflows;
    if (overflows > this.lastOverflows) this.watch.overflow();
    this.lastOverflows = overflows;
    const wasRealtime = this.watch.realtime();
    const why = this.watch.check(now);
    if (!why) {
      if (!wasRealtime) this.o.onChange?.(this.quality());
      return;
    }
    const next = cheaperSteps(this.step, this.o.source)[0];
    if (!next) {
      if (wasRealtime) {
        this.o.logger.warn("stream behind real time with nothing left to cut", { reason: why });
        this.o.onChange?.(this.quality());
      }
      return;
    }
    const from = this.quality();
    this.step = next;
    this.reason = why;
    this.degradations += 1;
    this.lastOut = null;
    this.watch.restarted(now);
    this.o.logger.warn("stream degraded to stay real-time", {
      reason: why,
      from: { preset: from.preset, rungs: from.rungs },
      to: { level: next.level, preset: next.preset, rungs: next.rungs.map((r) => r.name) },
    });
    try {
      this.o.apply(next);
    } catch (err) {
      this.o.logger.error("degradation failed to apply", { err: String(err) });
    }
    this.o.onChange?.(this.quality());
  }
}
