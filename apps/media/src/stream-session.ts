import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LadderConfig, MediaStreamStatus, StreamQuality, StreamStateUpdate } from "@hearth/contracts";
import type { Logger } from "@hearth/server-kit";
import type { FeedDrops, FeedLimits } from "./bounded-feed.ts";
import type { Clock } from "./clock.ts";
import type { QualityStep } from "./degradation-policy.ts";
import type { IngestFeed } from "./ingest-feed.ts";
import { IngestMeter } from "./ingest-meter.ts";
import { type PlannedRung, planLadder } from "./ladder.ts";
import { rejoinLadder } from "./ladder-rejoin.ts";
import { LiveState, type StopKind, type Timers } from "./live-state.ts";
import { cmafTiming } from "./llhls/cmaf-args.ts";
import { type LlhlsRegistry, LlhlsStream } from "./llhls/llhls-stream.ts";
import { firstMediaSequence } from "./llhls/media-sequence.ts";
import { newestPartAgeMs } from "./part-age.ts";
import { QualityGovernor } from "./quality-governor.ts";
import type { LiveRecordings } from "./recording/live-recordings.ts";
import { Recorder } from "./recording/recorder.ts";
import type { RecordingReporter } from "./recording/recording-reporter.ts";
import type { ThumbnailMaker } from "./recording/recording-thumbnail.ts";
import type { RecordingStorage } from "./recording/storage.ts";
import { newVideoId } from "./recording/video-id.ts";
import { ThumbnailPoller } from "./thumbnail-poller.ts";
import { buildTranscodeArgs } from "./transcode-args.ts";
import { Transcoder, type TranscoderOptions, type TranscoderStats } from "./transcoder.ts";

export interface StreamSessionConfig {
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
  logger: Logger;
  /** The node's packagers, shared with the HTTP routes: the only place playlists and media are served from. */
  llhls: LlhlsRegistry;
  /** This node's id in state reports. */
  node: string;
  /** How long a dropped publisher may take to come back (RECONNECT_GRACE_SECONDS). */
  graceMs: number;
  /** How long new media may take to become playable before the stream is reported live anyway. */
  playableTimeoutMs: number;
  timers: Timers;
  /** Starts an ffmpeg for one publisher (the real Transcoder unless a test or the admission code says otherwise). */
  transcoder?: (o: TranscoderOptions) => Transcoder;
  /** How much input may wait for ffmpeg's stdin. */
  feedLimits?: FeedLimits;
  /** Make a session that falls behind real time cheaper (default on). */
  degrade?: boolean;
  /** Where sessions are recorded; absent: nothing is recorded (RECORDING=false). */
  recording?: SessionRecording;
  /** Whether the streamer lets this stream be recorded (the manager's key check said so); default yes. */
  recordingWanted?: (publicId: string) => boolean;
}

/** What a session needs to record itself. */
export interface SessionRecording {
  storage: RecordingStorage;
  reporter: RecordingReporter;
  live: LiveRecordings;
  /** Every rung, or only the source (the tallest rung when the source is not copied). */
  rungs: "all" | "source";
  onWriteError(): void;
  thumbnail?: ThumbnailMaker;
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
const THUMBNAIL_EVERY_MS = 10_000;
/**
 * An encoded rung's BANDWIDTH floor over its bitrate caps (video + audio) until its own segments say more:
 * fMP4 boxes and the encoder's excursions. Measured for a 600k + 96k rung in 0.2 s fragments: the mean 3.5 %
 * over the caps, the peak 1 s segment 13-16 % over (the measured peak wins whenever it is higher).
 */
const BANDWIDTH_FLOOR = 1.08;

/**
 * One live session of one stream, across every publisher that feeds it: the state machine, the packagers
 * (which outlive a dropped publisher, so a reconnect continues the same playlists), the current publisher's
 * ffmpeg and meter, and the thumbnail poller. Wires those pieces; each is its own module.
 */
export class StreamSession {
  readonly state: LiveState;
  readonly dir: string;
  /** The session's rungs, planned for its first publisher; later publishers keep them (see rejoinLadder). */
  rungs: PlannedRung[];
  private preset: string;
  private qualityStep: QualityStep;
  private qualityReason: string | null;
  private governor: QualityGovernor | null = null;
  private degradationsBefore = 0;
  private readonly drops: FeedDrops = { overflows: 0, droppedTags: 0, droppedBytes: 0 };
  private readonly llhls: LlhlsStream;
  private readonly thumbs: ThumbnailPoller;
  private feedIn: IngestFeed | null = null;
  private transcoder: Transcoder | null = null;
  private meter: IngestMeter | null = null;
  /** Each rung's init number when the current publisher came: its media is playable once past these. */
  private marks = new Map<string, number>();
  private attachedAt = 0;
  private restartsBefore = 0;
  /** The dropped publisher's ffmpeg, flushing its last fragments: the next one starts after it. */
  private draining: Promise<void> = Promise.resolve();
  private cancelTick: (() => void) | null = null;
  private unsubscribe: Array<() => void> = [];
  private finished: Promise<void> | null = null;
  /** The session's recording (one for the whole session, reconnects included), or null when not recorded. */
  readonly recorder: Recorder | null = null;

  constructor(
    readonly publicId: string,
    firstFeed: IngestFeed,
    private readonly c: StreamSessionConfig,
    /** Every transition, in order; the last one is `ended`, after which `onFinished` follows. */
    private readonly onTransition: (update: StreamStateUpdate) => void,
    private readonly onFinished: () => void,
    plan?: AdmittedPlan,
  ) {
    this.dir = join(c.hlsDir, publicId);
    this.source = firstFeed.source;
    this.rungs = plan?.step.rungs ?? planLadder(c.ladder, firstFeed.source);
    this.preset = plan?.step.preset ?? c.preset;
    this.qualityStep = plan?.step ?? { level: "full", preset: this.preset, rungs: this.rungs };
    this.qualityReason = plan?.reason ?? null;
    const fps = fpsOf(firstFeed);
    const epoch = c.timers.now();
    this.llhls = new LlhlsStream(
      publicId,
      epoch.toString(36),
      this.rungs.map((r) => ({
        name: r.name,
        width: r.width,
        height: r.height,
        frameRate: fps,
        bandwidth:
          r.video.mode === "encode"
            ? (r.video.kbps + (r.audio?.mode === "encode" ? r.audio.kbps : 0)) * 1000 * BANDWIDTH_FLOOR
            : 0,
        // An encoded rung has a keyframe every segment (-force_key_frames), so its segments close on time.
        fixedGop: r.video.mode === "encode",
      })),
      {
        targetDuration: c.segmentSeconds,
        partTarget: cmafTiming(c.partSeconds, fps).partTarget,
        windowSegments: c.listSize,
        partSegments: LLHLS_PART_SEGMENTS,
        firstMsn: firstMediaSequence(epoch, c.segmentSeconds),
        now: c.timers.now,
      },
    );
    this.state = new LiveState({
      publicId,
      node: c.node,
      graceMs: c.graceMs,
      timers: c.timers,
      onTransition: (u) => {
        this.onTransition(u);
        if (u.phase === "ended") void this.finish();
      },
      onGraceExpired: () => c.logger.info("stream reconnect grace expired", { publicId }),
    });
    const source = this.llhls.rendition("source");
    this.thumbs = new ThumbnailPoller({
      ffmpegPath: c.ffmpegPath,
      dir: this.dir,
      latest: () => source?.latestDecodable() ?? null,
      width: () => {
        const w = this.feedIn?.source.width ?? 640;
        return Math.min(640, w - (w % 2));
      },
      everyMs: THUMBNAIL_EVERY_MS,
      now: c.timers.now,
      logger: c.logger.child({ publicId }),
    });
    this.feedIn = firstFeed;
    const rec = c.recording;
    if (rec && (c.recordingWanted?.(publicId) ?? true)) {
      const recorder = new Recorder({
        videoId: newVideoId(),
        publicId,
        node: c.node,
        session: this.state.snapshot().origin.session,
        storage: rec.storage,
        reporter: rec.reporter,
        live: rec.live,
        timers: c.timers,
        logger: c.logger.child({ publicId }),
        onWriteError: rec.onWriteError,
        ...(rec.thumbnail ? { thumbnail: rec.thumbnail } : {}),
      });
      const source = this.rungs.find((r) => r.name === "source") ?? this.rungs[0];
      const names = rec.rungs === "source" ? (source ? [source.name] : []) : this.rungs.map((r) => r.name);
      for (const name of names) {
        const p = this.llhls.rendition(name);
        if (p) recorder.attach(name, p);
      }
      this.recorder = recorder;
    }
  }

  /** Registers the packagers (replacing an ended session's), gives thumb.jpg a fresh directory, starts ffmpeg. */
  async start(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    this.c.llhls.add(this.llhls);
    this.recorder?.start();
    for (const p of this.llhls.renditions()) this.unsubscribe.push(p.subscribe(() => this.checkPlayable()));
    const loop = () => {
      if (this.finished) return;
      this.tick();
      this.cancelTick = this.c.timers.after(TICK_MS, loop);
    };
    this.cancelTick = this.c.timers.after(TICK_MS, loop);
    const feed = this.feedIn;
    if (feed) this.run(feed, this.rungs);
  }

  /** The source the session's ladder was planned for (its first publisher's). */
  readonly source: IngestFeed["source"];

  /** The current publisher, if any. */
  get feed(): IngestFeed | null {
    return this.feedIn;
  }

  /**
   * The same key publishes again within the grace: the same packagers continue with its media (a
   * discontinuity and a new init at the joint). False when the session does not wait for a publisher.
   */
  async rejoin(feed: IngestFeed): Promise<boolean> {
    if (!this.state.publisherBack()) return false;
    this.feedIn = feed;
    // The dropped publisher's last fragments must reach the packagers before the new input begins.
    await this.draining;
    if (this.feedIn !== feed) return true; // dropped again while the old ffmpeg flushed
    this.run(feed, rejoinLadder(this.rungs, this.c.ladder, feed.source));
    return true;
  }

  /**
   * The publisher of `feed` went away. Clean: the session ends (playlists end once ffmpeg has flushed).
   * Dropped: its ffmpeg stops, the playlists stay open, and the session waits for the grace.
   */
  async publisherGone(feed: IngestFeed, how: StopKind): Promise<void> {
    if (this.feedIn !== feed) return;
    this.feedIn = null;
    this.meter = null;
    const t = this.transcoder;
    this.transcoder = null;
    this.stopGovernor(t);
    if (t) {
      this.restartsBefore += t.stats().restarts;
      this.draining = t.stop();
    }
    // Reports first: the manager hears at once; ffmpeg may need a moment to flush.
    this.state.publisherGone(how);
    await this.draining;
    await this.finished;
  }

  /** Ends the session now (the manager's stop, node shutdown): the publisher is kicked, the playlists end. */
  async end(): Promise<void> {
    this.feedIn?.kick();
    this.state.end();
    await this.finish();
  }

  /** Resolves when the session is over and its playlists have ended. */
  finish(): Promise<void> {
    this.finished ??= (async () => {
      this.cancelTick?.();
      this.cancelTick = null;
      for (const u of this.unsubscribe.splice(0)) u();
      this.thumbs.stop();
      const t = this.transcoder;
      this.transcoder = null;
      this.feedIn = null;
      this.stopGovernor(t);
      if (t) this.restartsBefore += t.stats().restarts;
      await Promise.all([this.draining, t?.stop()]);
      this.llhls.end();
      this.onFinished();
      // Ending the packagers closed their last segments: the recorder writes them, then reports ready.
      await this.recorder?.finish(() =>
        readFile(join(this.dir, "thumb.jpg")).then(
          (b) => new Uint8Array(b),
          () => null,
        ),
      );
    })();
    return this.finished;
  }

  /** The ffmpeg pid, if one is running. */
  pid(): number | null {
    return this.transcoder?.pid() ?? null;
  }

  /** The ingest bitrate over the last second or so (0 without a publisher). */
  ingestBps(): number {
    return this.meter?.bitsPerSecond ?? 0;
  }

  /** The current ffmpeg's numbers; restarts count every publisher of the session. */
  transcoderStats(): TranscoderStats | null {
    const s = this.transcoder?.stats();
    return s ? { ...s, restarts: s.restarts + this.restartsBefore } : null;
  }

  /** The session's quality now (rungs, preset, why, real time). */
  quality(): StreamQuality {
    if (this.governor) return this.governor.quality();
    const encodes = this.qualityStep.rungs.some((r) => r.video.mode === "encode");
    return {
      level: this.qualityStep.level,
      preset: encodes ? this.qualityStep.preset : null,
      rungs: this.qualityStep.rungs.map((r) => r.name),
      reason: this.qualityReason,
      realtime: true,
    };
  }

  /** Times this session was made cheaper to stay real-time. */
  degradations(): number {
    return this.degradationsBefore + (this.governor?.degradations ?? 0);
  }

  /** Input dropped because ffmpeg could not keep up (every ffmpeg of the session). */
  feedDrops(): FeedDrops {
    const now = this.transcoder?.feedDrops();
    return {
      overflows: this.drops.overflows + (now?.overflows ?? 0),
      droppedTags: this.drops.droppedTags + (now?.droppedTags ?? 0),
      droppedBytes: this.drops.droppedBytes + (now?.droppedBytes ?? 0),
    };
  }

  /** The cost step the session runs at (for the node's budget). */
  step(): QualityStep {
    return this.qualityStep;
  }

  private stopGovernor(t: Transcoder | null): void {
    if (this.governor) {
      this.degradationsBefore += this.governor.degradations;
      this.governor.stop();
      this.governor = null;
    }
    if (t) {
      const d = t.feedDrops();
      this.drops.overflows += d.overflows;
      this.drops.droppedTags += d.droppedTags;
      this.drops.droppedBytes += d.droppedBytes;
    }
  }

  /**
   * Moves the running session to a cheaper step: the same packagers (a discontinuity, numbering continues);
   * rungs that go away are served no more and leave the master, so players move off them.
   */
  private applyStep(step: QualityStep, feed: IngestFeed): void {
    const keep = new Set(step.rungs.map((r) => r.name));
    for (const r of this.rungs) if (!keep.has(r.name)) this.llhls.dropRendition(r.name);
    this.rungs = step.rungs;
    this.preset = step.preset;
    this.qualityStep = step;
    this.marks = new Map([...this.marks].filter(([n]) => keep.has(n)));
    this.transcoder?.reload(this.argsFor(feed, this.rungs), {
      rungNames: this.rungs.map((r) => r.name),
      packagers: this.llhls.renditions(),
    });
    if (this.state.phase === "live") this.state.update(this.llhls.rungs(), this.quality());
  }

  private argsFor(feed: IngestFeed, rungs: PlannedRung[]): string[] {
    return buildTranscodeArgs({
      input: feed.input,
      rungs,
      segmentSeconds: this.c.segmentSeconds,
      partSeconds: this.c.partSeconds,
      frameRate: fpsOf(feed),
      preset: this.preset,
    });
  }

  /** Restarts of every ffmpeg this session has run. */
  restarts(): number {
    return this.restartsBefore + (this.transcoder?.stats().restarts ?? 0);
  }

  /** The status endpoint's view of this session. */
  status(): MediaStreamStatus {
    const snap = this.state.snapshot();
    const s = this.feedIn?.source;
    return {
      publicId: this.publicId,
      live: snap.phase === "live" || snap.phase === "reconnecting",
      phase: snap.phase,
      quality: snap.quality,
      rungs: snap.rungs,
      input: s
        ? {
            videoCodec: s.videoCodec,
            width: s.width,
            height: s.height,
            fps: s.fps,
            bitrate: Math.round(this.ingestBps()),
            audio: s.audioCodec !== null,
          }
        : null,
      transcoder: this.transcoderStats(),
    };
  }

  /** Starts this publisher's ffmpeg into the session's packagers. */
  private run(feed: IngestFeed, rungs: PlannedRung[]): void {
    this.meter = new IngestMeter(() => feed.inBytes(), this.c.timers.now);
    this.marks = this.llhls.initMarks();
    this.attachedAt = this.c.timers.now();
    const options: TranscoderOptions = {
      ffmpegPath: this.c.ffmpegPath,
      args: this.argsFor(feed, rungs),
      ...(feed.feed ? { feed: feed.feed } : {}),
      ...(this.c.feedLimits ? { feedLimits: this.c.feedLimits } : {}),
      cmaf: { rungNames: rungs.map((r) => r.name), packagers: this.llhls.renditions() },
      logger: this.c.logger.child({ publicId: this.publicId }),
      // The input cannot be transcoded: waiting for this publisher to come back would not help; end now.
      onGiveUp: () => void this.end(),
    };
    const transcoder = this.c.transcoder ? this.c.transcoder(options) : new Transcoder(options);
    this.transcoder = transcoder;
    transcoder.start();
    if (this.c.degrade !== false) {
      this.governor = new QualityGovernor({
        initial: { ...this.qualityStep, rungs },
        initialReason: this.qualityReason,
        source: feed.source,
        transcoder: {
          outTimeUs: () => transcoder.outTimeUs(),
          backlogMs: () => transcoder.backlogMs(),
          feedDrops: () => transcoder.feedDrops(),
        },
        partAgeMs: () => newestPartAgeMs(this.llhls.renditions(), this.c.timers.now()),
        apply: (step) => this.applyStep(step, feed),
        onChange: (q) => {
          this.qualityReason = q.reason;
          if (this.state.phase === "live") this.state.update(this.llhls.rungs(), q);
        },
        logger: this.c.logger.child({ publicId: this.publicId }),
        clock: clockOf(this.c.timers),
      });
      this.governor.start();
    }
    this.c.logger.info("stream publishing", {
      publicId: this.publicId,
      rungs: rungs.map((r) => `${r.name}:${r.video.mode}`),
    });
  }

  private checkPlayable(): void {
    const phase = this.state.phase;
    if ((phase !== "starting" && phase !== "reconnecting") || !this.state.hasPublisher()) return;
    const timedOut = this.c.timers.now() - this.attachedAt >= this.c.playableTimeoutMs;
    if (this.llhls.playableSince(this.marks) || timedOut)
      this.state.playable(this.llhls.rungs(), this.quality());
  }

  private tick(): void {
    this.meter?.sample();
    this.checkPlayable();
    if (this.feedIn) this.thumbs.poll();
  }
}

/** The session's timers as the governor's clock. */
function clockOf(timers: Timers): Clock {
  return {
    now: () => timers.now(),
    setTimeout: (fn, ms) => ({ id: timers.after(ms, fn) }),
    clearTimeout: (t) => (t.id as () => void)(),
  };
}

function fpsOf(feed: IngestFeed): number {
  return feed.source.fps > 0 ? feed.source.fps : FALLBACK_FPS;
}
