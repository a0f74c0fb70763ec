import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LadderConfig, MediaStreamStatus, Rung, StreamQuality } from "@hearth/contracts";
import type { Logger } from "@hearth/server-kit";
import type { FeedLimits } from "./bounded-feed.ts";
import type { QualityStep } from "./degradation-policy.ts";
import { type PlannedRung, planLadder, type SourceInfo } from "./ladder.ts";
import { cmafTiming } from "./llhls/cmaf-args.ts";
import { type LlhlsRegistry, LlhlsStream } from "./llhls/llhls-stream.ts";
import { renderMasterPlaylist, type VariantEntry } from "./master-playlist.ts";
import { QualityGovernor } from "./quality-governor.ts";
import { RungOutput } from "./rung-output.ts";
import { grabThumbnail, type ThumbnailGrab } from "./thumbnail.ts";
import { buildTranscodeArgs, type TranscodeInput } from "./transcode-args.ts";
import { type FeedSource, Transcoder } from "./transcoder.ts";
import type { RungFormat } from "./variant-probe.ts";

/** An ingest handing a live stream to the pipeline (RTMP today; anything that can feed ffmpeg). */
export interface IngestFeed {
  input: TranscodeInput;
  source: SourceInfo;
  /** Required for stdin inputs: subscribes a (re)started ffmpeg to the stream. */
  feed?: FeedSource;
  /** Bytes received from the publisher so far. */
  inBytes(): number;
  /** Disconnects the publisher (stream deleted by the manager). */
  kick(): void;
}

export interface LiveStreamConfig {
  /** Where each stream's directory (thumb.jpg) is made. */
  hlsDir: string;
  ladder: LadderConfig;
  /** Segment target and keyframe interval, whole seconds. */
  segmentSeconds: number;
  /** LL-HLS part length, seconds (rounded to whole frames). */
  partSeconds: number;
  /** Complete segments each variant playlist lists (and the packager keeps in memory). */
  listSize: number;
  preset: string;
  ffmpegPath: string;
  ffprobePath: string;
  logger: Logger;
  /** The node's packagers, shared with the HTTP routes: the only place playlists and media are served from. */
  llhls: LlhlsRegistry;
  /** How much input may wait for ffmpeg's stdin. */
  feedLimits?: FeedLimits;
  /** Make a stream that falls behind real time cheaper (default on). */
  degrade?: boolean;
}

/** What admission gave a session: its first quality step, and why it is not the full ladder. */
export interface AdmittedPlan {
  step: QualityStep;
  reason: string | null;
}

/** Segments before the open one that still list their parts (three target durations of parts). */
const LLHLS_PART_SEGMENTS = 2;
/** Frame rate assumed when the publisher's metadata gives none. */
const FALLBACK_FPS = 30;

const TICK_MS = 500;
const MASTER_REFRESH_MS = 10_000;
const THUMBNAIL_EVERY_MS = 10_000;
/**
 * A rung's BANDWIDTH floor over its bitrate caps (video + audio) until its own segments say more: fMP4 boxes
 * and the encoder's excursions. Measured for a 600k + 96k rung in 0.2 s fragments: the mean 3.5 % over the
 * caps, the peak 1 s segment 13-16 % over (the measured peak wins whenever it is higher).
 */
const BANDWIDTH_FLOOR = 1.08;

/** One live session of one stream: its ffmpeg, its packagers, its meters and its master playlist. */
export class LiveStream {
  rungs: PlannedRung[];
  private preset: string;
  private readonly fps: number;
  private readonly governor: QualityGovernor;
  /** Called when the stream's quality changes (a degradation, or real time lost/regained). */
  onQualityChange: ((q: StreamQuality) => void) | null = null;
  readonly dir: string;
  private readonly transcoder: Transcoder;
  private readonly outputs: RungOutput[];
  /** The in-memory packagers (one per rung) the routes serve from. */
  private readonly llhls: LlhlsStream;
  private timer: ReturnType<typeof setInterval> | null = null;
  private masterMeasuredAt = 0;
  private playable: Rung[] | null = null;
  private readonly waiters: Array<(r: Rung[] | null) => void> = [];
  private ingest = { at: Date.now(), bytes: 0, bps: 0 };
  private ticking = false;
  private thumb: { proc: ThumbnailGrab["proc"]; at: number } | null = null;

  constructor(
    readonly publicId: string,
    readonly feedIn: IngestFeed,
    private readonly c: LiveStreamConfig,
    plan?: AdmittedPlan,
  ) {
    this.dir = join(c.hlsDir, publicId);
    this.rungs = plan?.step.rungs ?? planLadder(c.ladder, feedIn.source);
    this.preset = plan?.step.preset ?? c.preset;
    const sessionTag = Date.now().toString(36);
    const fps = feedIn.source.fps > 0 ? feedIn.source.fps : FALLBACK_FPS;
    this.fps = fps;
    const variants = this.rungs.map((r) => ({
      name: r.name,
      width: r.width,
      height: r.height,
      frameRate: fps,
      bandwidth: 0,
      // An encoded rung has a keyframe every segment (-force_key_frames), so its segments close on time.
      fixedGop: r.video.mode === "encode",
    }));
    this.llhls = new LlhlsStream(publicId, sessionTag, variants, {
      targetDuration: c.segmentSeconds,
      partTarget: cmafTiming(c.partSeconds, fps).partTarget,
      windowSegments: c.listSize,
      partSegments: LLHLS_PART_SEGMENTS,
    });
    const packagers = this.rungs.map((r) => this.llhls.rendition(r.name)).filter((p) => p !== undefined);
    this.outputs = packagers.map((p) => new RungOutput(p, c.ffprobePath));
    const args = this.transcodeArgs();
    this.transcoder = new Transcoder({
      ffmpegPath: c.ffmpegPath,
      args,
      ...(feedIn.feed ? { feed: feedIn.feed } : {}),
      ...(c.feedLimits ? { feedLimits: c.feedLimits } : {}),
      cmaf: { rungNames: this.rungs.map((r) => r.name), packagers },
      logger: c.logger.child({ publicId }),
      // The input cannot be transcoded: drop the publisher, which ends the session the usual way.
      onGiveUp: () => feedIn.kick(),
    });
    const transcoder = this.transcoder;
    this.governor = new QualityGovernor({
      initial: plan?.step ?? { level: "full", preset: this.preset, rungs: this.rungs },
      initialReason: plan?.reason ?? null,
      source: feedIn.source,
      transcoder: {
        outTimeUs: () => transcoder.outTimeUs(),
        backlogMs: () => transcoder.backlogMs(),
        feedDrops: () => transcoder.feedDrops(),
      },
      apply: (step) => this.applyStep(step),
      onChange: (q) => this.onQualityChange?.(q),
      logger: c.logger.child({ publicId }),
    });
  }

  private transcodeArgs(): string[] {
    return buildTranscodeArgs({
      input: this.feedIn.input,
      rungs: this.rungs,
      segmentSeconds: this.c.segmentSeconds,
      partSeconds: this.c.partSeconds,
      frameRate: this.fps,
      preset: this.preset,
    });
  }

  /**
   * Moves the running session to a cheaper step: same packagers (a discontinuity, numbering continues), rungs
   * that go away are served no more and leave the master playlist, so players move off them.
   */
  private applyStep(step: QualityStep): void {
    const keep = new Set(step.rungs.map((r) => r.name));
    for (const r of this.rungs) if (!keep.has(r.name)) this.llhls.dropRendition(r.name);
    const kept = this.rungs.map((r, i) => ({ r, o: this.outputs[i] })).filter(({ r }) => keep.has(r.name));
    this.outputs.splice(0, this.outputs.length, ...kept.map(({ o }) => o as RungOutput));
    this.rungs = step.rungs;
    this.preset = step.preset;
    const packagers = this.rungs.map((r) => this.llhls.rendition(r.name)).filter((p) => p !== undefined);
    this.transcoder.reload(this.transcodeArgs(), { rungNames: this.rungs.map((r) => r.name), packagers });
    // The master is measured again at once, without the rungs that went away.
    this.masterMeasuredAt = 0;
    if (this.outputs.every((o) => o.format !== null)) this.measureMaster();
  }

  /** The stream's current quality (rungs, preset, why, real time). */
  quality(): StreamQuality {
    return this.governor.quality();
  }

  /** Times this session was made cheaper to stay real-time. */
  degradations(): number {
    return this.governor.degradations;
  }

  /** Registers the packagers (replacing an ended session's), gives thumb.jpg a fresh directory, then starts ffmpeg. */
  async start(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    // Stopped while the directory was made (the registry stops at once, not after start-up).
    if (this.ending) return;
    this.c.llhls.add(this.llhls);
    this.transcoder.start();
    if (this.c.degrade !== false) this.governor.start();
    this.ingest = { at: Date.now(), bytes: this.feedIn.inBytes(), bps: 0 };
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  /** Resolves with the rungs once the measured master playlist exists (every rung has a probed segment), or null on timeout. */
  waitPlayable(timeoutMs: number): Promise<Rung[] | null> {
    if (this.playable || this.ending) return Promise.resolve(this.playable);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(null), timeoutMs);
      this.waiters.push((r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
  }

  /** Marks the session as ending: whoever waits for it to become playable stops waiting. */
  ending = false;
  markEnding(): void {
    this.ending = true;
    for (const w of this.waiters.splice(0)) w(null);
  }

  /** Stops ffmpeg (letting it finish the last segment) and ends every variant playlist. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.governor.stop();
    this.thumb?.proc.kill();
    await this.transcoder.stop();
    for (const o of this.outputs) o.end();
  }

  /** The ffmpeg pid, if one is running. */
  pid(): number | null {
    return this.transcoder.pid();
  }

  /** The ingest bitrate over the last second or so. */
  ingestBps(): number {
    return this.ingest.bps;
  }

  /** The transcoder's numbers. */
  transcoderStats() {
    return this.transcoder.stats();
  }

  /** Input dropped because ffmpeg could not keep up. */
  feedDrops() {
    return this.transcoder.feedDrops();
  }

  /** The status endpoint's view of this session. */
  status(): MediaStreamStatus {
    const s = this.feedIn.source;
    return {
      publicId: this.publicId,
      live: true,
      phase: this.playable ? "live" : "starting",
      quality: this.governor.quality(),
      rungs: this.playable ?? [],
      input: {
        videoCodec: s.videoCodec,
        width: s.width,
        height: s.height,
        fps: s.fps,
        bitrate: Math.round(this.ingest.bps),
        audio: s.audioCodec !== null,
      },
      transcoder: this.transcoder.stats(),
    };
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      const bytes = this.feedIn.inBytes();
      if (now - this.ingest.at >= 1000) {
        this.ingest = {
          at: now,
          bytes,
          bps: ((bytes - this.ingest.bytes) * 8 * 1000) / (now - this.ingest.at),
        };
      }
      for (const o of this.outputs) await o.update();
      this.refreshThumbnail(now);
      const ready = this.outputs.every((o) => o.format !== null);
      if (ready && (this.masterMeasuredAt === 0 || now - this.masterMeasuredAt >= MASTER_REFRESH_MS)) {
        this.measureMaster();
        this.masterMeasuredAt = now;
      }
    } catch (err) {
      this.c.logger.warn("hls bookkeeping failed", { publicId: this.publicId, err: String(err) });
    } finally {
      this.ticking = false;
    }
  }

  /** A new preview from the source rung's newest segment, at most every 10 s, one grab at a time. */
  private refreshThumbnail(now: number): void {
    const latest = this.outputs[0]?.newestSegment();
    if (!latest || this.ending) return;
    if (this.thumb && (this.thumb.proc.exitCode === null || now - this.thumb.at < THUMBNAIL_EVERY_MS)) return;
    const width = Math.min(640, this.feedIn.source.width - (this.feedIn.source.width % 2));
    const grab = grabThumbnail(this.c.ffmpegPath, latest, this.dir, width, this.c.logger);
    this.thumb = { proc: grab.proc, at: now };
    void grab.done.catch(() => {});
  }

  /** The master playlist from the real output; the routes serve it from now on. */
  private measureMaster(): void {
    const variants: VariantEntry[] = this.rungs.map((r, i) => {
      const m = this.outputs[i] as RungOutput;
      const f = m.format as RungFormat;
      const nominal =
        r.video.mode === "encode"
          ? (r.video.kbps + (r.audio && r.audio.mode === "encode" ? r.audio.kbps : 0)) *
            1000 *
            BANDWIDTH_FLOOR
          : this.ingest.bps * BANDWIDTH_FLOOR;
      return {
        name: r.name,
        bandwidth: Math.max(m.peak, nominal),
        averageBandwidth: m.average() || nominal,
        width: f.width,
        height: f.height,
        frameRate: f.frameRate,
        codecs: f.codecs,
      };
    });
    this.llhls.measuredMaster = renderMasterPlaylist(variants);
    const rungs: Rung[] = variants.map((v) => ({
      name: v.name,
      bandwidth: Math.round(v.bandwidth),
      width: v.width,
      height: v.height,
      playlist: `${v.name}/index.m3u8`,
    }));
    this.playable = rungs;
    for (const w of this.waiters.splice(0)) w(rungs);
  }
}
