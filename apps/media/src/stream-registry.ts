import type {
  HeartbeatStream,
  MediaStreamStatus,
  NodeBudget,
  StreamPhase,
  StreamStateUpdate,
} from "@hearth/contracts";
import { type AdmissionConfig, admit, ladderCost, type NodeLoad, nodeBudget } from "./admission.ts";
import type { FeedDrops } from "./bounded-feed.ts";
import type { IngestFeed } from "./ingest-feed.ts";
import { planLadder } from "./ladder.ts";
import { realTimers, type StopKind, type Timers } from "./live-state.ts";
import { EndedStreamRetention } from "./retention.ts";
import type { StateReporter } from "./state-reporter.ts";
import { StreamSession, type StreamSessionConfig } from "./stream-session.ts";

/**
 * The one path every ingest feeds: an ingest that has verified a publisher calls `publishStarted`,
 * and `publishStopped` when the publisher goes away. Declared for ingests (RTMP, WHIP) to use.
 */
export interface Pipeline {
  /**
   * Starts a session, or continues the stream's session when it waits for its dropped publisher (within the
   * grace); false when the stream already has a publisher (a second one is refused).
   */
  publishStarted(publicId: string, feed: IngestFeed): Promise<boolean>;
  /**
   * Why a publish of `publicId` would be refused now (the node's stream limit), or null: ingests ask before
   * accepting. A stream waiting for its dropped publisher is never refused: it already holds its slot.
   */
  refusal?(publicId?: string): { reason: string; retryAfterSeconds: number } | null;
  /**
   * The publisher of `feed` (or the current one) went away. `how`: "clean" for an unpublish the publisher
   * asked for (RTMP FCUnpublish/deleteStream, WHIP DELETE, stop_stream): the session ends; "dropped" for an
   * abrupt end (socket closed or idle, ICE/DTLS failure): the stream waits for the publisher to come back.
   * Default "clean".
   */
  publishStopped(publicId: string, feed?: IngestFeed, how?: StopKind): Promise<void>;
  /** Whether a publisher feeds the stream now (false while it waits for a dropped one to come back). */
  isLive(publicId: string): boolean;
}

export interface RegistryConfig
  extends Omit<StreamSessionConfig, "node" | "graceMs" | "playableTimeoutMs" | "timers"> {
  reporter: StateReporter;
  /** This node's id in state reports ("default" for a single node). */
  nodeId?: string;
  /** How long an ended stream's playlists, segments and thumb.jpg stay served. */
  retentionSeconds: number;
  /** How long a dropped publisher may take to come back before the stream ends (RECONNECT_GRACE_SECONDS). */
  reconnectGraceSeconds: number;
  /** How long a new session may take to produce its first segments before it is reported live anyway. */
  playableTimeoutMs?: number;
  timers?: Timers;
  /** The node's transcode budget and stream limit; without it every publish gets the full ladder. */
  admission?: AdmissionConfig;
}

/** Numbers for /metrics. */
export interface StreamMetrics {
  publicId: string;
  /** The stream's state machine ("starting" until playable; "ended" while its last ffmpeg flushes). */
  phase: StreamPhase;
  ingestBps: number;
  speed: number | null;
  restarts: number;
  /** Times the stream was made cheaper to stay real-time. */
  degradations: number;
  /** Input dropped because ffmpeg could not keep up. */
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

/**
 * The node's streams: one StreamSession (with its state machine) per stream, their reports to the manager,
 * and the retention of ended ones. "Is it live?" is always asked of the stream's state machine.
 */
export class StreamRegistry implements Pipeline {
  private readonly sessions = new Map<string, StreamSession>();
  private readonly retention: EndedStreamRetention;
  /** Each stream's reports, sent one after another so a later transition never overtakes an earlier one. */
  private readonly reports = new Map<string, Promise<void>>();
  private restartsTotal = 0;
  private degradationsEnded = 0;
  private refusals = 0;
  private readonly timers: Timers;

  constructor(private readonly c: RegistryConfig) {
    this.timers = c.timers ?? realTimers;
    this.retention = new EndedStreamRetention({
      seconds: c.retentionSeconds,
      hlsDir: c.hlsDir,
      llhls: c.llhls,
    });
  }

  isLive(publicId: string): boolean {
    return this.sessions.get(publicId)?.state.hasPublisher() ?? false;
  }

  /** What the live sessions cost now and how many there are. */
  load(): NodeLoad {
    let used = 0;
    let streams = 0;
    for (const s of this.sessions.values()) {
      if (s.state.phase === "ended") continue;
      streams += 1;
      const step = s.step();
      used += ladderCost(step.rungs, s.source, step.preset);
    }
    return { used, streams };
  }

  refusal(publicId?: string): { reason: string; retryAfterSeconds: number } | null {
    const a = this.c.admission;
    if (!a || this.load().streams < a.maxStreams) return null;
    // A publisher coming back within the grace takes no new slot: its stream is already counted.
    if (publicId !== undefined && this.sessions.get(publicId)?.state.awaitsPublisher()) return null;
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
    const current = this.sessions.get(publicId);
    // An ended session may still be flushing its last ffmpeg: a new publisher starts a new session.
    if (current && current.state.phase !== "ended") {
      // Claimed synchronously (inside rejoin): a second publisher verified a moment later is refused.
      const rejoined = await current.rejoin(feed);
      if (rejoined) this.c.logger.info("stream publisher back within the grace", { publicId });
      return rejoined;
    }
    // First come, first served: the budget left decides this stream's ladder (or a refusal).
    const decision = this.c.admission
      ? admit(this.c.admission, this.load(), planLadder(this.c.ladder, feed.source), feed.source)
      : null;
    if (decision && !decision.admitted) {
      this.refusals += 1;
      this.c.logger.warn("publish refused: no capacity", { publicId, reason: decision.reason });
      return false;
    }
    const session = new StreamSession(
      publicId,
      feed,
      {
        ...this.c,
        node: this.c.nodeId ?? "default",
        graceMs: this.c.reconnectGraceSeconds * 1000,
        playableTimeoutMs: this.c.playableTimeoutMs ?? 15_000,
        timers: this.timers,
      },
      (update) => this.report(publicId, update),
      () => this.finished(publicId, session),
      decision?.admitted
        ? {
            step: { level: decision.level, preset: this.c.preset, rungs: decision.rungs },
            reason: decision.reason,
          }
        : undefined,
    );
    this.sessions.set(publicId, session);
    this.retention.cancel(publicId);
    await session.start();
    return true;
  }

  async publishStopped(publicId: string, feed?: IngestFeed, how: StopKind = "clean"): Promise<void> {
    const session = this.sessions.get(publicId);
    const f = feed ?? session?.feed;
    if (!session || !f) return;
    await session.publisherGone(f, how);
  }

  /** The manager deleted the stream: kick the publisher and end the session now (also while reconnecting). */
  async remove(publicId: string): Promise<void> {
    await this.sessions.get(publicId)?.end();
  }

  /** Status for one stream; a stream this node does not have reports `live: false`. */
  status(publicId: string): MediaStreamStatus {
    const s = this.sessions.get(publicId);
    if (s) return s.status();
    return { publicId, live: false, phase: null, quality: null, rungs: [], input: null, transcoder: null };
  }

  /** Per-stream numbers for /metrics. */
  metrics(): NodeMetrics {
    const streams = [...this.sessions.values()].map((s) => ({
      publicId: s.publicId,
      phase: s.state.phase,
      ingestBps: s.ingestBps(),
      speed: s.transcoderStats()?.speed ?? null,
      restarts: s.restarts(),
      degradations: s.degradations(),
      feedDrops: s.feedDrops(),
    }));
    return {
      streams,
      restartsEnded: this.restartsTotal,
      degradationsEnded: this.degradationsEnded,
      refusals: this.refusals,
      budget: this.budget(),
    };
  }

  /** Every stream this node has reported and not ended, with its newest reported state, for heartbeats. */
  heartbeatStreams(): HeartbeatStream[] {
    const out: HeartbeatStream[] = [];
    for (const [publicId, s] of this.sessions) {
      const snap = s.state.snapshot();
      if (snap.phase === "live" || snap.phase === "reconnecting") out.push({ publicId, ...snap });
    }
    return out;
  }

  /** Pids of every ffmpeg currently running. */
  pids(): number[] {
    return [...this.sessions.values()].map((s) => s.pid()).filter((p): p is number => p !== null);
  }

  /** Ends every session (node shutdown): every ffmpeg is gone when this resolves. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.sessions.entries()].map(([id, s]) =>
        s.end().catch((err) => this.c.logger.error("stop failed", { publicId: id, err: String(err) })),
      ),
    );
    // Reports already queued still go out; a shutdown waits for them.
    await Promise.all([...this.reports.values()]);
    this.retention.clear();
  }

  private report(publicId: string, update: StreamStateUpdate): void {
    const prev = this.reports.get(publicId) ?? Promise.resolve();
    const next = prev
      .then(() => this.c.reporter.report(publicId, update))
      .catch((err) => this.c.logger.error("state report failed", { publicId, err: String(err) }));
    this.reports.set(publicId, next);
    void next.then(() => {
      if (this.reports.get(publicId) === next) this.reports.delete(publicId);
    });
    this.c.logger.info(`stream ${update.phase}`, { publicId, seq: update.origin.seq });
  }

  private finished(publicId: string, session: StreamSession): void {
    if (this.sessions.get(publicId) !== session) return;
    this.sessions.delete(publicId);
    this.restartsTotal += session.restarts();
    this.degradationsEnded += session.degradations();
    void this.retention.schedule(publicId);
  }
}
