import type { Fragment, InitSegment } from "./box-reader.ts";
import { concatBytes } from "./concat-bytes.ts";

/** One LL-HLS partial segment: exactly one CMAF fragment. */
export interface Part {
  /** Numbered across the whole rendition (never per segment), so the preload hint can name the next part before anyone knows which segment it falls in. */
  id: number;
  msn: number;
  /** Part Index within its segment (what `_HLS_part` counts). */
  index: number;
  bytes: Uint8Array;
  /** Seconds. */
  duration: number;
  /** Starts with a keyframe. */
  independent: boolean;
}

/** One media segment: the parts between two segment cuts. */
export interface Segment {
  msn: number;
  /** Which input's init segment (EXT-X-MAP) the segment's fragments need. */
  initSeq: number;
  /** Wall-clock time of the first frame, ms since the epoch (EXT-X-PROGRAM-DATE-TIME). */
  programDateTime: number;
  /** First segment of a new input (a restarted ffmpeg): timestamps and init change here. */
  discontinuity: boolean;
  parts: Part[];
  /** Seconds (the sum of the parts). */
  duration: number;
  /** Null while the segment is still being filled. */
  bytes: Uint8Array | null;
  /** False once the segment is old enough that its parts are no longer listed or kept. */
  hasParts: boolean;
}

export interface PackagerOptions {
  /** Segment target, seconds (an integer: EXT-X-TARGETDURATION). Set ffmpeg's keyframe interval to this. */
  targetDuration: number;
  /** Part target, seconds (EXT-X-PART-INF). ffmpeg's fragments must not be longer. */
  partTarget: number;
  /** Complete segments listed in (and served from) the playlist window. */
  windowSegments: number;
  /**
   * How many complete segments before the open one still list (and keep) their parts. 2 keeps the parts of
   * the last three target durations, as 8216bis asks; more would break strict parsers' rule that parts
   * older than three target durations are removed.
   */
  partSegments: number;
  /**
   * The encoder puts a keyframe exactly every `targetDuration` (Hearth's own rungs): a segment that began at
   * a keyframe is complete as soon as it reaches the target, one frame after its last part rather than one
   * part later when the next keyframe shows up. Off for a copied rung, whose keyframes the publisher places:
   * there the GOP is learned from the segments so far.
   */
  closeAtTarget?: boolean;
  /** Wall clock, ms; injectable for tests. */
  now?: () => number;
  /** Media sequence number of the first segment (see media-sequence.ts: seeded from the wall clock). */
  firstMsn?: number;
  /**
   * The session's one clock: every rung of a stream maps the same media time of an input to the same wall
   * time (RFC 8216bis 6.2.4). Without one, each rung dates its input from its own first fragment's arrival.
   */
  clock?: SessionClock;
}

/**
 * One wall-clock origin per input (ffmpeg run) shared by every rung of a session: the first rung to produce
 * a fragment of input `seq` fixes which wall time that media time was captured at; the others reuse it, so
 * a copied rung (out first) and encoded rungs (tens of ms later) date the same frame alike.
 */
export class SessionClock {
  private readonly anchors = new Map<number, { wallMs: number; mediaSeconds: number }>();
  private latest = -1;

  /**
   * A rung's new input begins; `previous` is that rung's last input number. Rungs meet the same ffmpeg run
   * in turn, so the first to arrive opens a new number and the others join it (a rung that missed a run,
   * its ffmpeg gone before that rung's init, skips ahead).
   */
  enterInput(previous: number): number {
    this.latest = Math.max(this.latest, previous + 1);
    return this.latest;
  }

  /** The wall time (ms) of media time `mediaSeconds` of input `seq`; `capturedMs` anchors the input's first call. */
  wallTime(seq: number, mediaSeconds: number, capturedMs: number): number {
    let a = this.anchors.get(seq);
    if (!a) {
      a = { wallMs: capturedMs, mediaSeconds };
      this.anchors.set(seq, a);
      // Only the current and the previous input can still produce fragments.
      for (const k of this.anchors.keys()) if (k < seq - 1) this.anchors.delete(k);
    }
    return a.wallMs + (mediaSeconds - a.mediaSeconds) * 1000;
  }
}

/**
 * Told of every segment the moment it is complete, with the init segment its fragments need (the recorder's
 * hook). Called on the packager's hot path: a listener must only take the references and return.
 */
export type SegmentClosedListener = (segment: Segment, init: InitSegment) => void;

/** Calls `fn` after `ms`; returns the cancel function. */
export type HoldTimer = (ms: number, fn: () => void) => () => void;

/** setTimeout as a HoldTimer. */
export const realHoldTimer: HoldTimer = (ms, fn) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

/** A segment starts at a keyframe once the open one is at least this share of the target. */
const KEYFRAME_CUT_SHARE = 0.85;
const NO_BYTES = new Uint8Array(0);
/** Clean segments in a row, alike in length, before a copied rung's GOP is trusted. */
const LEARN_SEGMENTS = 3;

/** Starts with a keyframe and holds no other. */
function isClean(s: Segment): boolean {
  return s.parts[0]?.independent === true && !s.parts.some((p, i) => i > 0 && p.independent);
}

/**
 * Turns the fragments of one rendition into parts and segments, across any number of inputs (each
 * restart of ffmpeg is a new input: a discontinuity, while media sequence and part ids continue).
 * Everything is in memory: the window's segments, and the parts of the last few segments.
 */
export class RenditionPackager {
  readonly segments: Segment[] = [];
  readonly inits = new Map<number, InitSegment>();
  /** Discontinuities that have left the window (EXT-X-DISCONTINUITY-SEQUENCE). */
  discontinuitySequence = 0;
  ended = false;
  private nextMsn: number;
  private partCounter = 0;
  private initSeq = -1;
  private discontinuityPending = false;
  /** This input's number in the session clock (inputs of all rungs are counted alike). */
  private inputSeq = -1;
  private readonly partsById = new Map<number, Part>();
  private carry: Uint8Array[] = [];
  /**
   * Durations of this input's latest clean segments (one keyframe, at the start). Three alike tell a copied
   * rung's GOP, so its segments can close on time too (see reachedTarget).
   */
  private cleanRun: number[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly closedListeners = new Set<SegmentClosedListener>();
  private readonly now: () => number;

  constructor(readonly o: PackagerOptions) {
    this.now = o.now ?? Date.now;
    this.nextMsn = o.firstMsn ?? 0;
    this.clock = o.clock ?? new SessionClock();
  }

  private readonly clock: SessionClock;
  private frameSeconds = 0;

  /** Id of the next part to be produced (the EXT-X-PRELOAD-HINT target). */
  get nextPartId(): number {
    return this.partCounter;
  }

  /** Frames per second of the newest fragment (its duration over its sample count), or null before any. */
  get frameRate(): number | null {
    return this.frameSeconds > 0 ? Math.round(1000 / this.frameSeconds) / 1000 : null;
  }

  /** Init + the newest complete segment that starts with a keyframe: a file any decoder reads on its own; or null. */
  latestDecodable(): Uint8Array | null {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i];
      const init = s ? this.inits.get(s.initSeq) : undefined;
      if (s?.bytes && init && s.parts[0]?.independent) return concatBytes([init.bytes, s.bytes]);
    }
    return null;
  }

  /** The sequence number of the current init segment, or -1 before the first input. */
  get currentInitSeq(): number {
    return this.initSeq;
  }

  /** A new input begins (first ffmpeg, or a restarted one): its init segment becomes the EXT-X-MAP. */
  beginInput(init: InitSegment): void {
    this.closeOpenSegment();
    this.initSeq += 1;
    this.inits.set(this.initSeq, init);
    // The first input of a session seeded from the wall clock starts at a large msn: no discontinuity then.
    this.discontinuityPending = this.segments.length > 0 || this.nextMsn > (this.o.firstMsn ?? 0);
    this.inputSeq = this.clock.enterInput(this.inputSeq);
    this.carry = [];
    this.cleanRun = [];
    this.ended = false;
    this.changed();
  }

  /** Adds one fragment as a part, cutting a new segment first when the fragment should start one. */
  addFragment(f: Fragment): void {
    if (this.initSeq < 0) throw new Error("fragment before any init segment");
    if (f.sampleCount === 0) {
      // No video in it: it cannot be timed or start a part, and published parts never change, so it rides
      // at the front of the next part.
      this.carry.push(f.bytes);
      return;
    }
    const seconds = f.duration / f.timescale;
    this.frameSeconds = seconds / f.sampleCount;
    // The fragment is written once its last frame is encoded: its first frame was captured `seconds` earlier.
    const wallMs = this.clock.wallTime(
      this.inputSeq,
      f.decodeTime / f.timescale,
      this.now() - seconds * 1000,
    );
    let open = this.openSegment();
    if (!open || this.shouldCut(open, f.keyframe, seconds)) {
      this.closeOpenSegment();
      open = {
        msn: this.nextMsn++,
        initSeq: this.initSeq,
        programDateTime: wallMs,
        discontinuity: this.discontinuityPending,
        parts: [],
        duration: 0,
        bytes: null,
        hasParts: true,
      };
      this.discontinuityPending = false;
      this.segments.push(open);
    }
    const part: Part = {
      id: this.partCounter++,
      msn: open.msn,
      index: open.parts.length,
      bytes: this.carry.length > 0 ? concatBytes([...this.carry, f.bytes]) : f.bytes,
      duration: seconds,
      independent: f.keyframe,
    };
    open.parts.push(part);
    open.duration += seconds;
    this.partsById.set(part.id, part);
    this.carry = [];
    if (this.reachedTarget(open, seconds / f.sampleCount)) this.closeOpenSegment();
    this.evict();
    this.changed();
  }

  /** The input ended (ffmpeg exited): the open segment is complete; a later input continues the numbering. */
  endInput(): void {
    this.closeOpenSegment();
    this.evict();
    this.changed();
  }

  /** The stream is over: the playlist gets EXT-X-ENDLIST and every waiting request is answered. */
  end(): void {
    this.closeOpenSegment();
    this.evict();
    this.ended = true;
    this.changed();
  }

  /** The segment still being filled, if any. */
  openSegment(): Segment | undefined {
    const last = this.segments.at(-1);
    return last && last.bytes === null ? last : undefined;
  }

  /** A part still held in memory, by id. */
  part(id: number): Part | undefined {
    return this.partsById.get(id);
  }

  /** A complete segment in the window, by media sequence number. */
  segment(msn: number): Segment | undefined {
    const first = this.segments[0];
    if (!first) return undefined;
    const s = this.segments[msn - first.msn];
    return s?.bytes ? s : undefined;
  }

  /** The newest part: (msn, index), or null before the first. */
  lastPart(): { msn: number; index: number } | null {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i];
      const p = s?.parts.at(-1);
      if (s && p) return { msn: s.msn, index: p.index };
      if (s && !s.hasParts) return { msn: s.msn, index: s.parts.length - 1 };
    }
    return null;
  }

  /** Media sequence number of the newest complete segment, or -1. */
  lastCompleteMsn(): number {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i];
      if (s?.bytes) return s.msn;
    }
    return -1;
  }

  /** Calls `listener` with each segment as it completes; returns the unsubscribe function. */
  onSegmentClosed(listener: SegmentClosedListener): () => void {
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves true as soon as `ready()` holds (checked now and after every change), false after `timeoutMs`
   * (timed by `after`, the real clock unless a test moves its own).
   */
  waitFor(
    ready: () => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
    after: HoldTimer = realHoldTimer,
  ): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        cancelTimer();
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const onAbort = () => finish(false);
      const cancelTimer = after(timeoutMs, () => finish(false));
      const unsubscribe = this.subscribe(() => {
        if (ready()) finish(true);
      });
      signal?.addEventListener("abort", onAbort);
    });
  }

  private shouldCut(open: Segment, keyframe: boolean, seconds: number): boolean {
    if (open.parts.length === 0) return false;
    if (keyframe && open.duration >= this.o.targetDuration * KEYFRAME_CUT_SHARE) return true;
    // EXTINF rounded to the nearest integer must not exceed TARGETDURATION: cut even without a keyframe.
    return open.duration + seconds >= this.o.targetDuration + 0.5;
  }

  /**
   * Whether the next keyframe is due now: the segment started at one, holds no other, and has reached the GOP
   * within half a frame. The GOP is the target for a fixed-GOP rung; for a copied rung it is learned from the
   * last three clean segments of this input, when they agree within half a frame (a publisher with a steady
   * keyframe interval). A wrong guess costs one segment that does not start with a keyframe (the playlist
   * then drops EXT-X-INDEPENDENT-SEGMENTS until it leaves the window) and starts the learning over.
   * A segment that held a keyframe elsewhere (a start-up GOP) waits for a cut.
   */
  private reachedTarget(open: Segment, frameSeconds: number): boolean {
    if (!isClean(open)) return false;
    const gop = this.o.closeAtTarget ? this.o.targetDuration : this.learnedGop(frameSeconds);
    return gop !== null && open.duration >= gop - frameSeconds / 2;
  }

  private learnedGop(frameSeconds: number): number | null {
    if (this.cleanRun.length < LEARN_SEGMENTS) return null;
    const spread = Math.max(...this.cleanRun) - Math.min(...this.cleanRun);
    return spread <= frameSeconds / 2 ? (this.cleanRun.at(-1) ?? null) : null;
  }

  private closeOpenSegment(): void {
    const open = this.openSegment();
    if (!open) return;
    this.cleanRun = isClean(open) ? [...this.cleanRun, open.duration].slice(-LEARN_SEGMENTS) : [];
    open.bytes = concatBytes(open.parts.map((p) => p.bytes));
    const init = this.inits.get(open.initSeq);
    if (init) for (const l of this.closedListeners) l(open, init);
  }

  private evict(): void {
    const complete = this.segments.filter((s) => s.bytes).length;
    for (let extra = complete - this.o.windowSegments; extra > 0; extra--) {
      const gone = this.segments.shift();
      if (gone) this.dropParts(gone);
      if (gone?.discontinuity) this.discontinuitySequence += 1;
    }
    const firstInit = this.segments[0]?.initSeq ?? this.initSeq;
    for (const seq of this.inits.keys()) if (seq < firstInit && seq !== this.initSeq) this.inits.delete(seq);
    // Parts are listed (and kept) only for the last few segments; older segments are served whole.
    // Between inputs there is no open segment, but the preload hint opens the next one: it counts the same.
    const keepFrom = this.segments.length - this.o.partSegments - (this.openSegment() ? 1 : 0);
    for (let i = 0; i < keepFrom; i++) {
      const s = this.segments[i];
      if (s?.hasParts) this.dropParts(s);
    }
  }

  private dropParts(s: Segment): void {
    for (const p of s.parts) this.partsById.delete(p.id);
    // The part count and durations stay (rendition reports and tests read them); the bytes go.
    s.parts = s.parts.map((p) => ({ ...p, bytes: NO_BYTES }));
    s.hasParts = false;
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
