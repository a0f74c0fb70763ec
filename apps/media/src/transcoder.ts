import type { Logger } from "@hearth/server-kit";
import { BoundedFeed, type FeedDrops, type FeedLimits } from "./bounded-feed.ts";
import type { Clock } from "./clock.ts";
import {
  type Attachment,
  DEFAULT_RESTART,
  FfmpegSupervisor,
  type Progress,
  type RestartPolicy,
  type Spawn,
  type SupervisedProcess,
} from "./ffmpeg-supervisor.ts";
import { pumpCmafPipes } from "./llhls/cmaf-input.ts";
import type { RenditionPackager } from "./llhls/rendition-packager.ts";

/** Where ffmpeg's input bytes come from when it reads stdin; returns an unsubscribe function. */
export type FeedSource = (write: (chunk: Buffer) => void) => () => void;

/** LL-HLS: ffmpeg writes rung i as CMAF on descriptor 3 + i, pumped into `packagers[i]`. */
export interface CmafOutputs {
  rungNames: string[];
  packagers: RenditionPackager[];
}

export interface TranscoderOptions {
  ffmpegPath: string;
  args: string[];
  /** Present for stdin input: every (re)started ffmpeg gets a fresh subscription (it starts at a keyframe). */
  feed?: FeedSource;
  /** How much input may wait for ffmpeg's stdin (default 8 MiB / 4 s). */
  feedLimits?: FeedLimits;
  logger: Logger;
  /** Each (re)started ffmpeg is a new input of the same packagers (a discontinuity; numbering continues). */
  cmaf?: CmafOutputs;
  clock?: Clock;
  spawn?: Spawn;
  restart?: RestartPolicy;
  /** No progress for this long means ffmpeg hangs (default 10 s; ffmpeg reports every second). */
  stallMs?: number;
  /** Called once per unexpected exit, before the restart is scheduled. */
  onCrash?(): void;
  /** Called instead of a restart when ffmpeg keeps failing at once (bad input): the session should end. */
  onGiveUp?(): void;
  /** Every progress report (about once a second): the degradation watcher's input. */
  onProgress?(p: Progress): void;
}

/** What the status endpoint and /metrics show about a running transcoder. */
export interface TranscoderStats {
  pid: number | null;
  speed: number | null;
  droppedFrames: number;
  restarts: number;
  startedAt: string | null;
}

const DEFAULT_FEED_LIMITS: FeedLimits = { maxBytes: 8 * 1024 * 1024, maxMs: 4000 };

/**
 * One stream's ffmpeg under the node's process supervisor: the publisher's FLV reaches stdin through a
 * bounded feed, each rung's CMAF pipe is pumped into its packager, and `reload()` swaps in new arguments
 * (a cheaper ladder) under the same packagers.
 */
export class Transcoder {
  private readonly sup: FfmpegSupervisor;
  private args: string[];
  private cmaf: CmafOutputs | undefined;
  private readonly drops: FeedDrops = { overflows: 0, droppedTags: 0, droppedBytes: 0 };
  private feed: BoundedFeed | null = null;

  constructor(private readonly o: TranscoderOptions) {
    this.args = o.args;
    this.cmaf = o.cmaf;
    this.sup = new FfmpegSupervisor({
      ffmpegPath: o.ffmpegPath,
      args: () => this.args,
      stdin: o.feed ? "pipe" : "ignore",
      extraPipes: () => this.cmaf?.packagers.length ?? 0,
      logger: o.logger,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.spawn ? { spawn: o.spawn } : {}),
      restart: o.restart ?? DEFAULT_RESTART,
      stallMs: o.stallMs ?? 10_000,
      attach: (proc) => this.attach(proc),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.onCrash ? { onCrash: o.onCrash } : {}),
      ...(o.onGiveUp ? { onGiveUp: o.onGiveUp } : {}),
    });
  }

  private attach(proc: SupervisedProcess): Attachment {
    const cmaf = this.cmaf;
    const drained = cmaf
      ? pumpCmafPipes(proc as { stdio: readonly (number | null)[] }, cmaf.packagers)
          .then((errs) =>
            errs.forEach((e, i) => {
              if (e) this.o.logger.error("CMAF input broke", { rung: cmaf.rungNames[i], err: e.message });
            }),
          )
          .catch((err) => this.o.logger.error("CMAF pumps failed", { err: String(err) }))
      : undefined;
    let unsubscribe: (() => void) | null = null;
    const source = this.o.feed;
    if (source && proc.stdin) {
      const feed = new BoundedFeed(proc.stdin, this.o.feedLimits ?? DEFAULT_FEED_LIMITS, this.drops);
      this.feed = feed;
      unsubscribe = source((chunk) => feed.push(chunk));
    }
    return {
      ...(drained ? { drained } : {}),
      detach: () => {
        unsubscribe?.();
        this.feed?.close();
        this.feed = null;
      },
    };
  }

  /** Current numbers for the status endpoint. */
  stats(): TranscoderStats {
    const p = this.sup.lastProgress();
    const since = this.sup.runningSince();
    return {
      pid: this.sup.pid(),
      speed: p.speed,
      droppedFrames: p.droppedFrames,
      restarts: this.sup.restarts,
      startedAt: since === null ? null : new Date(since).toISOString(),
    };
  }

  /** Input dropped because ffmpeg could not keep up (summed over restarts). */
  feedDrops(): FeedDrops {
    return { ...this.drops };
  }

  /** ffmpeg's output time, µs (null before its first progress report). */
  outTimeUs(): number | null {
    return this.sup.lastProgress().outTimeUs;
  }

  /** Media waiting for ffmpeg's stdin now, ms. */
  backlogMs(): number {
    return this.feed?.backlogMs() ?? 0;
  }

  /** Bytes waiting for ffmpeg's stdin now. */
  backlogBytes(): number {
    return this.feed?.backlogBytes() ?? 0;
  }

  /** The ffmpeg pid, if one runs. */
  pid(): number | null {
    return this.sup.pid();
  }

  start(): void {
    this.sup.start();
  }

  /** Restarts ffmpeg at once with new arguments (and rung outputs), e.g. a cheaper ladder. */
  reload(args: string[], cmaf?: CmafOutputs): void {
    this.args = args;
    if (cmaf) this.cmaf = cmaf;
    this.sup.reload();
  }

  /**
   * Stops for good. The kill deadline starts now, whatever ffmpeg's backlog: the queued input is dropped,
   * stdin closed so ffmpeg can finish its last fragment, SIGTERM soon after, SIGKILL after `graceMs`.
   */
  stop(graceMs = 2000): Promise<void> {
    return this.sup.stop(graceMs);
  }
}
