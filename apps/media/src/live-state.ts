import type { ReportOrigin, Rung, StreamPhase, StreamQuality, StreamStateUpdate } from "@hearth/contracts";

/** Time as the state machine needs it; tests move it by hand. */
export interface Timers {
  now(): number;
  /** Calls `fn` after `ms`; returns the cancel function. */
  after(ms: number, fn: () => void): () => void;
}

/** The real clock. */
export const realTimers: Timers = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** How a publisher went away: asked to stop (clean) or vanished (dropped). */
export type StopKind = "clean" | "dropped";

export interface LiveStateOptions {
  publicId: string;
  /** This node's id in reports. */
  node: string;
  /** How long a dropped publisher may take to come back before the stream ends. */
  graceMs: number;
  timers: Timers;
  /** Every transition, in order (the registry sends it to the manager). */
  onTransition(update: StreamStateUpdate): void;
  /** The grace expired with no publisher back: the owner ends the session as after a clean stop. */
  onGraceExpired(): void;
}

/**
 * The one answer to "is this stream live?" on this node: `starting -> live -> reconnecting -> live ... ->
 * ended`. `live` only once playable. A dropped publisher puts a live stream into `reconnecting` for the
 * grace; a publisher that comes back keeps the session (same session id, the sequence number goes on) and
 * the stream is `live` again once its new media is playable. Every transition is reported with its origin.
 */
export class LiveState {
  private current: StreamPhase = "starting";
  private origin: ReportOrigin;
  private rungs: Rung[] = [];
  private quality: StreamQuality | null = null;
  private cancelGrace: (() => void) | null = null;
  /** A publisher feeds the stream now (false between a drop and the next publisher). */
  private publisher = true;

  constructor(private readonly o: LiveStateOptions) {
    const epoch = o.timers.now();
    this.origin = {
      node: o.node,
      // Unique across restarts of this node and across nodes; at most 64 characters.
      session: `${o.node.slice(0, 40)}-${epoch.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      epoch,
      seq: 0,
    };
  }

  get phase(): StreamPhase {
    return this.current;
  }

  /** Whether a publisher feeds the stream now (a second one is refused); false while reconnecting and after the end. */
  hasPublisher(): boolean {
    return this.publisher && this.current !== "ended";
  }

  /** Whether the same key may publish again into this session: dropped and within the grace. */
  awaitsPublisher(): boolean {
    return this.current === "reconnecting" && !this.publisher;
  }

  /** The stream's newest state, as reports and heartbeats carry it. */
  snapshot(): StreamStateUpdate {
    return { phase: this.current, origin: { ...this.origin }, rungs: this.rungs, quality: this.quality };
  }

  /** The session's media is playable (every rung has a segment): `starting`/`reconnecting` -> `live`. */
  playable(rungs: Rung[], quality: StreamQuality | null = null): void {
    if (!this.publisher || (this.current !== "starting" && this.current !== "reconnecting")) return;
    this.rungs = rungs;
    this.quality = quality;
    this.move("live");
  }

  /** Rungs or quality changed while live (degradation): reported as a new report of the same phase. */
  update(rungs: Rung[], quality: StreamQuality | null): void {
    this.rungs = rungs;
    this.quality = quality;
    if (this.current === "live") this.move("live");
  }

  /**
   * The publisher went away. Clean: the stream ends now. Dropped: a stream that was live waits for the
   * grace in `reconnecting` (one that never became playable ends: there is nothing to keep open).
   */
  publisherGone(how: StopKind): void {
    if (this.current === "ended") return;
    if (how === "clean" || this.current === "starting") {
      this.end();
      return;
    }
    this.publisher = false;
    this.cancelGrace?.();
    this.cancelGrace = this.o.timers.after(this.o.graceMs, () => {
      this.cancelGrace = null;
      if (this.current !== "reconnecting" || this.publisher) return;
      this.end();
      this.o.onGraceExpired();
    });
    if (this.current !== "reconnecting") this.move("reconnecting");
  }

  /** The same key publishes again within the grace; `live` follows once the new media is playable. */
  publisherBack(): boolean {
    if (!this.awaitsPublisher()) return false;
    this.cancelGrace?.();
    this.cancelGrace = null;
    this.publisher = true;
    return true;
  }

  /** The session is over (clean stop, the manager's stop, the grace expired, node shutdown). */
  end(): void {
    if (this.current === "ended") return;
    this.cancelGrace?.();
    this.cancelGrace = null;
    this.publisher = false;
    this.rungs = [];
    this.quality = null;
    this.move("ended");
  }

  private move(phase: StreamPhase): void {
    // seq 0 is the unreported `starting`; every transition counts up, so the first report has seq 1.
    this.origin = { ...this.origin, seq: this.origin.seq + 1 };
    this.current = phase;
    this.o.onTransition(this.snapshot());
  }
}
