import type { HeartbeatStream, MediaStreamStatus, NodeBudget, ReportOrigin } from "@hearth/contracts";
import { type AdmissionConfig, admit, ladderCost, type NodeLoad, nodeBudget } from "./admission.ts";
import type { FeedDrops } from "./bounded-feed.ts";
import { planLadder } from "./ladder.ts";
import { type IngestFeed, LiveStream, type LiveStreamConfig } from "./live-stream.ts";
import { EndedStreamRetention } from "./retention.ts";
import { reportOrigins, type StateReporter, stateUpdate } from "./state-reporter.ts";

/**
 * The one path every ingest feeds: an ingest that has verified a publisher calls `publishStarted`,
 * and `publishStopped` when the publisher goes away. Declared for ingests (RTMP, WHIP relays) to use.
 */
export interface Pipeline {
  /** Starts transcoding; false when the stream is already live (a second publisher is refused). */
  publishStarted(publicId: string, feed: IngestFeed): Promise<boolean>;
  /**
   * The publisher of `feed` (or the current one) went away. `how`: "clean" for an unpublish the publisher
   * asked for (RTMP FCUnpublish/deleteStream, WHIP DELETE, stop_stream): the session ends; "dropped" for an
   * abrupt end (socket closed or idle, ICE/DTLS failure): the stream waits for the publisher to come back.
   */
  publishStopped(publicId: string, feed?: IngestFeed, how?: "clean" | "dropped"): Promise<void>;
  isLive(publicId: string): boolean;
  /** Why a new publish would be refused now (the node's stream limit), or null: ingests ask before accepting. */
  refusal?(): { reason: string; retryAfterSeconds: number } | null;
}

export interface RegistryConfig extends LiveStreamConfig {
  reporter: StateReporter;
  /** This node's id in state reports ("default" for a single node). */
  nodeId?: string;
  /** How long an ended stream's playlists, segments and thumb.jpg stay served. */
  retentionSeconds: number;
  /** How long a new session may take to produce its first segments before it is reported live anyway. */
  playableTimeoutMs?: number;
  /** The node's transcode budget and stream limit; without it every publish gets the full ladder. */
  admission?: AdmissionConfig;
}

/** Numbers for /metrics. */
export interface StreamMetrics {
  publicId: string;
  ingestBps: number;
  speed: number | null;
  restarts: number;
  /** Times the stream was made cheaper to stay real-time. */
  degradations: number;
  /** Input dropped because ffmpeg could not keep up (overflows of the bounded feed, tags, bytes). */
  feedDrops: FeedDrops;
}

/** Node-wide numbers for /metrics. */
export interface NodeMetrics {
  streams: StreamMetrics[];
  restartsEnded: number;
  degradationsEnded?: number;
  /** Publishes refused for capacity. */
  refusals?: number;
  budget?: NodeBudget | null;
}

/** Live sessions by public id, retention of ended ones, and live/offline reports to the manager. */
export class StreamRegistry implements Pipeline {
  private readonly live = new Map<string, LiveStream>();
  private readonly retention: EndedStreamRetention;
  /** Serialises each stream's start/stop and its reports, so "offline" never overtakes "live". */
  private readonly chains = new Map<string, Promise<unknown>>();
  private restartsTotal = 0;
  private degradationsEnded = 0;
  private refusals = 0;
  private readonly origins: ReturnType<typeof reportOrigins>;
  /** The origin of each stream's newest report (interim: until one state machine per stream owns it). */
  private readonly lastOrigin = new Map<string, ReportOrigin>();

  constructor(private readonly c: RegistryConfig) {
    this.origins = reportOrigins(c.nodeId ?? "default");
    this.retention = new EndedStreamRetention({
      seconds: c.retentionSeconds,
      hlsDir: c.hlsDir,
      llhls: c.llhls,
    });
  }

  private serial<T>(publicId: string, job: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(publicId) ?? Promise.resolve();
    const next = prev.then(job, job);
    this.chains.set(
      publicId,
      next.catch(() => {}),
    );
    return next;
  }

  isLive(publicId: string): boolean {
    return this.live.has(publicId);
  }

  /** What the live streams cost now and how many there are. */
  load(): NodeLoad {
    let used = 0;
    for (const s of this.live.values()) {
      const q = s.quality();
      used += ladderCost(s.rungs, s.feedIn.source, q.preset ?? this.c.preset);
    }
    return { used, streams: this.live.size };
  }

  refusal(): { reason: string; retryAfterSeconds: number } | null {
    const a = this.c.admission;
    if (!a || this.live.size < a.maxStreams) return null;
    return {
      reason: `this media node is at its limit of ${a.maxStreams} live streams`,
      retryAfterSeconds: 30,
    };
  }

  /** The budget for heartbeats (null without admission). */
  budget(): NodeBudget | null {
    const a = this.c.admission;
    if (!a) return null;
    const typical = { videoCodec: "h264", width: 1280, height: 720, fps: 30, audioCodec: "aac" };
    return nodeBudget(a, this.load(), ladderCost(planLadder(this.c.ladder, typical), typical, a.preset));
  }

  async publishStarted(publicId: string, feed: IngestFeed): Promise<boolean> {
    if (this.live.has(publicId)) return false;
    const full = planLadder(this.c.ladder, feed.source);
    const decision = this.c.admission ? admit(this.c.admission, this.load(), full, feed.source) : null;
    if (decision && !decision.admitted) {
      this.refusals += 1;
      this.c.logger.warn("publish refused: no capacity", { publicId, reason: decision.reason });
      return false;
    }
    const stream = new LiveStream(
      publicId,
      feed,
      this.c,
      decision?.admitted
        ? {
            step: { level: decision.level, preset: this.c.preset, rungs: decision.rungs },
            reason: decision.reason,
          }
        : undefined,
    );
    stream.onQualityChange = (q) => {
      void this.serial(publicId, async () => {
        const last = this.lastOrigin.get(publicId);
        if (!last || this.live.get(publicId) !== stream) return;
        const origin = this.origins.next(last);
        this.lastOrigin.set(publicId, origin);
        await this.c.reporter.report(publicId, stateUpdate("live", origin, stream.status().rungs, q));
      }).catch((err) => this.c.logger.warn("quality report failed", { publicId, err: String(err) }));
    };
    // Claimed synchronously: a second publisher verified a moment later sees the stream as live.
    this.live.set(publicId, stream);
    this.retention.cancel(publicId);
    return this.serial(publicId, async () => {
      await stream.start();
      this.c.logger.info("stream publishing", {
        publicId,
        source: feed.source,
        rungs: stream.rungs.map((r) => `${r.name}:${r.video.mode}`),
      });
      const rungs = await stream.waitPlayable(this.c.playableTimeoutMs ?? 15_000);
      if (this.live.get(publicId) !== stream) return true; // already stopped again
      const origin = this.origins.session();
      this.lastOrigin.set(publicId, origin);
      await this.c.reporter.report(publicId, stateUpdate("live", origin, rungs ?? [], stream.quality()));
      this.c.logger.info("stream live", { publicId });
      return true;
    });
  }

  async publishStopped(publicId: string, feed?: IngestFeed): Promise<void> {
    const stream = this.live.get(publicId);
    if (!stream || (feed && stream.feedIn !== feed)) return;
    this.live.delete(publicId);
    stream.markEnding();
    this.restartsTotal += stream.transcoderStats().restarts;
    this.degradationsEnded += stream.degradations();
    // ffmpeg's kill deadline starts now, not after the start job or a slow report ahead in the chain.
    const stopping = stream.stop();
    // Awaited in the chain below; until then a failure must not count as unhandled.
    stopping.catch(() => {});
    await this.serial(publicId, async () => {
      // The manager hears "offline" at once; ffmpeg may need a moment to flush what it has buffered.
      const last = this.lastOrigin.get(publicId);
      const origin = last ? this.origins.next(last) : this.origins.session();
      this.lastOrigin.delete(publicId);
      await Promise.all([stopping, this.c.reporter.report(publicId, stateUpdate("ended", origin))]);
      this.c.logger.info("stream offline", { publicId });
      // A publisher that came back while ffmpeg was stopping already owns the id: its output must stay.
      if (!this.live.has(publicId)) void this.retention.schedule(publicId);
    });
  }

  /** The manager deleted the stream: kick the publisher and end the session now. */
  async remove(publicId: string): Promise<void> {
    const stream = this.live.get(publicId);
    if (!stream) return;
    stream.feedIn.kick();
    await this.publishStopped(publicId);
  }

  /** Status for one stream; offline streams report `live: false`. */
  status(publicId: string): MediaStreamStatus {
    const s = this.live.get(publicId);
    if (s) return s.status();
    return { publicId, live: false, phase: null, quality: null, rungs: [], input: null, transcoder: null };
  }

  /** Per-stream numbers for /metrics. */
  metrics(): NodeMetrics {
    const streams = [...this.live.values()].map((s) => {
      const t = s.transcoderStats();
      return {
        publicId: s.publicId,
        ingestBps: s.ingestBps(),
        speed: t.speed,
        restarts: t.restarts,
        degradations: s.degradations(),
        feedDrops: s.feedDrops(),
      };
    });
    return {
      streams,
      restartsEnded: this.restartsTotal,
      degradationsEnded: this.degradationsEnded,
      refusals: this.refusals,
      budget: this.budget(),
    };
  }

  /** Every live stream's newest reported state, for heartbeats. */
  heartbeatStreams(): HeartbeatStream[] {
    return [...this.lastOrigin].map(([publicId, origin]) => ({
      publicId,
      ...stateUpdate(
        "live",
        origin,
        this.live.get(publicId)?.status().rungs ?? [],
        this.live.get(publicId)?.quality() ?? null,
      ),
    }));
  }

  /** Pids of every ffmpeg currently running. */
  pids(): number[] {
    return [...this.live.values()].map((s) => s.pid()).filter((p): p is number => p !== null);
  }

  /** Stops every live session (node shutdown): every ffmpeg is gone when this resolves. */
  async stopAll(): Promise<void> {
    const ids = [...this.live.keys()];
    await Promise.all(
      ids.map(async (id) => {
        const s = this.live.get(id);
        s?.feedIn.kick();
        await this.publishStopped(id).catch((err) =>
          this.c.logger.error("stop failed", { publicId: id, err: String(err) }),
        );
      }),
    );
    this.retention.clear();
  }
}
