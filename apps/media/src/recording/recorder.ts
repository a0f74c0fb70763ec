import type { RecordingReport } from "@hearth/contracts";
import type { Logger } from "@hearth/server-kit";
import type { Timers } from "../live-state.ts";
import type { InitSegment } from "../llhls/box-reader.ts";
import type { RenditionPackager, Segment } from "../llhls/rendition-packager.ts";
import type { LiveRecordings } from "./live-recordings.ts";
import type { RecordingReporter } from "./recording-reporter.ts";
import type { ThumbnailMaker } from "./recording-thumbnail.ts";
import { commonStart, fromStart } from "./rung-alignment.ts";
import type { IndexEntry, RecordingMeta, RecordingStorage, StoredRung } from "./storage.ts";

/** Rungs' first segments close at most a segment or two apart: the reference's first few are all that may be trimmed. */
const HEAD_SEGMENTS = 4;

export interface RecorderOptions {
  videoId: string;
  publicId: string;
  node: string;
  /** The live session (ReportOrigin.session): a reconnect within the grace keeps it, and this recorder. */
  session: string;
  storage: RecordingStorage;
  reporter: RecordingReporter;
  live: LiveRecordings;
  timers: Timers;
  logger: Logger;
  /** Counted in /metrics: a write that failed (the recording stops there). */
  onWriteError(): void;
  thumbnail?: ThumbnailMaker;
  /** How often a growing recording is reported (~5 s). */
  reportEveryMs?: number;
  /** Segments waiting for the disk before the recording gives up (a disk this slow would only grow memory). */
  maxQueued?: number;
}

interface Job {
  rung: string;
  entry: IndexEntry;
  bytes: Uint8Array;
  init: InitSegment;
  frameRate: number | null;
}

/**
 * Writes one live session's closed segments (and their inits) to storage as the packagers close them, and keeps
 * the manager told (`recording` at start and every few seconds, `ready` at the end). The packager's hook only
 * queues references; every disk write runs on one serial chain here. A write that fails (a full disk) stops
 * this recording only: logged once, counted, what was written stays playable; the live stream never notices.
 */
export class Recorder {
  private readonly meta: RecordingMeta;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private failed = false;
  private abandoned = false;
  private finishing: Promise<void> | null = null;
  private readonly initsWritten = new Map<string, Set<number>>();
  private readonly rungInfo = new Map<string, StoredRung>();
  private readonly order: string[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  /** The rung whose segments time the recording (the first attached: the source rung when recorded). */
  private reference: string | null = null;
  private seconds = 0;
  private bytes = 0;
  /** Each rung's first segment (its program date-time): the recording starts at the latest (rung-alignment.ts). */
  private readonly firstByRung = new Map<string, IndexEntry>();
  /** The reference rung's first few segments: those before the common start are not in the playlists. */
  private readonly referenceHead: IndexEntry[] = [];
  private lastEnd: number | null = null;
  private thumbDone = false;
  private thumbPending: Promise<void> = Promise.resolve();
  private reports: Promise<unknown> = Promise.resolve();
  private cancelLoop: (() => void) | null = null;
  private waiters: Array<{ ms: number; done: () => void }> = [];

  constructor(private readonly o: RecorderOptions) {
    this.meta = {
      id: o.videoId,
      publicId: o.publicId,
      node: o.node,
      session: o.session,
      state: "recording",
      createdAt: o.timers.now(),
      endedAt: null,
      rungs: [],
    };
  }

  get videoId(): string {
    return this.o.videoId;
  }

  /** Whether writing stopped on an error. */
  get writeFailed(): boolean {
    return this.failed;
  }

  /** Registers the recording, writes its meta.json and reports it; then every few seconds while it grows. */
  start(): void {
    this.o.live.add(this.o.videoId, {
      abandon: () => this.abandon(),
      recordedUntil: (ms, timeoutMs) => this.recordedUntil(ms, timeoutMs),
    });
    this.enqueue(() => this.o.storage.writeMeta("recordings", this.o.videoId, this.meta));
    this.sendReport();
    const every = this.o.reportEveryMs ?? 5000;
    const loop = () => {
      if (this.finishing || this.abandoned) return;
      this.sendReport();
      this.cancelLoop = this.o.timers.after(every, loop);
    };
    this.cancelLoop = this.o.timers.after(every, loop);
  }

  /** Records rung `name` from its packager's closed segments; the first rung attached times the recording. */
  attach(name: string, p: RenditionPackager): void {
    this.reference ??= name;
    if (!this.order.includes(name)) this.order.push(name);
    this.unsubscribe.push(p.onSegmentClosed((s, init) => this.closed(name, p, s, init)));
  }

  /** The packager's hook: copies the few numbers, keeps the byte references, queues the write. */
  private closed(rung: string, p: RenditionPackager, s: Segment, init: InitSegment): void {
    if (this.failed || this.abandoned || !s.bytes) return;
    if (this.queued >= (this.o.maxQueued ?? 120)) {
      this.fail(new Error(`storage too slow: ${this.queued} segments waiting`));
      return;
    }
    const job: Job = {
      rung,
      bytes: s.bytes,
      init,
      frameRate: p.frameRate,
      entry: {
        msn: s.msn,
        initSeq: s.initSeq,
        pdt: Math.round(s.programDateTime),
        duration: s.duration,
        discontinuity: s.discontinuity,
        independent: s.parts[0]?.independent === true,
        bytes: s.bytes.length,
      },
    };
    this.enqueue(() => this.write(job));
  }

  private enqueue(fn: () => Promise<void>): void {
    this.queued += 1;
    this.queue = this.queue.then(async () => {
      try {
        if (!this.failed && !this.abandoned) await fn();
      } catch (err) {
        this.fail(err);
      } finally {
        this.queued -= 1;
      }
    });
  }

  private async write(j: Job): Promise<void> {
    const { storage } = this.o;
    const id = this.o.videoId;
    let written = this.initsWritten.get(j.rung);
    if (!written) {
      written = new Set();
      this.initsWritten.set(j.rung, written);
    }
    if (!written.has(j.entry.initSeq)) {
      await storage.writeMedia(
        "recordings",
        id,
        j.rung,
        { kind: "init", seq: j.entry.initSeq },
        j.init.bytes,
      );
      written.add(j.entry.initSeq);
      this.bytes += j.init.bytes.length;
      if (this.updateRung(j)) await storage.writeMeta("recordings", id, this.meta);
    }
    await storage.writeMedia("recordings", id, j.rung, { kind: "segment", msn: j.entry.msn }, j.bytes);
    // The index line last: every whole line names a whole file.
    await storage.appendIndex("recordings", id, j.rung, j.entry);
    this.bytes += j.bytes.length;
    if (!this.firstByRung.has(j.rung)) this.firstByRung.set(j.rung, j.entry);
    if (j.rung !== this.reference) return;
    if (this.referenceHead.length < HEAD_SEGMENTS) this.referenceHead.push(j.entry);
    this.seconds += j.entry.duration;
    this.lastEnd = j.entry.pdt + Math.round(j.entry.duration * 1000);
    for (const w of this.waiters) if (w.ms <= this.lastEnd) w.done();
    if (!this.thumbDone && j.entry.independent && this.o.thumbnail) {
      this.thumbDone = true;
      const make = this.o.thumbnail;
      const width = this.rungInfo.get(j.rung)?.width ?? 640;
      // Off the write chain: one frame decoded by a short-lived ffmpeg, so a SIGKILLed node's recording has one too.
      this.thumbPending = (async () => {
        const jpeg = await make(j.init.bytes, j.bytes, width);
        if (jpeg && !this.abandoned) await storage.writeThumbnail("recordings", id, jpeg);
      })().catch((err) =>
        this.o.logger.warn("recording thumbnail failed", { videoId: id, err: String(err) }),
      );
    }
  }

  /** The rung's master attributes from its init (size, codecs) and fragments (frame rate); true if changed. */
  private updateRung(j: Job): boolean {
    const tracks = j.init.info.tracks;
    const video = tracks.find((t) => t.handler === "vide");
    const next: StoredRung = {
      name: j.rung,
      width: video?.width ?? 0,
      height: video?.height ?? 0,
      ...(j.frameRate ? { frameRate: j.frameRate } : {}),
      codecs: tracks.map((t) => t.codec).filter((c): c is string => c !== null),
    };
    const before = this.rungInfo.get(j.rung);
    if (before && JSON.stringify(before) === JSON.stringify(next)) return false;
    this.rungInfo.set(j.rung, next);
    this.meta.rungs = this.order.flatMap((n) => this.rungInfo.get(n) ?? []);
    return true;
  }

  private releaseWaiters(): void {
    for (const w of [...this.waiters]) w.done();
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.releaseWaiters();
    this.o.onWriteError();
    this.o.logger.error("recording stopped: write failed", { videoId: this.o.videoId, err: String(err) });
  }

  private report(state: "recording" | "ready"): RecordingReport {
    const start = commonStart([...this.firstByRung.values()].map((e) => [e]));
    const before = this.referenceHead.length - fromStart(this.referenceHead, start).length;
    const trimmed = this.referenceHead.slice(0, before).reduce((t, e) => t + e.duration, 0);
    return {
      videoId: this.o.videoId,
      publicId: this.o.publicId,
      node: this.o.node,
      session: this.o.session.slice(0, 64),
      state,
      startedAt: Math.round(start ?? this.meta.createdAt),
      endedAt: state === "ready" ? Math.round(this.meta.endedAt ?? this.o.timers.now()) : null,
      durationSeconds: Math.max(0, this.seconds - trimmed),
      bytes: this.bytes,
    };
  }

  /** See ActiveRecording.recordedUntil. */
  recordedUntil(ms: number, timeoutMs: number): Promise<void> {
    if ((this.lastEnd ?? 0) >= ms || this.failed || this.abandoned || this.finishing)
      return Promise.resolve();
    return new Promise((resolve) => {
      const w = {
        ms,
        done: () => {
          cancel();
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve();
        },
      };
      const cancel = this.o.timers.after(timeoutMs, () => w.done());
      this.waiters.push(w);
    });
  }

  /** Reports go one after another: a `ready` is never overtaken by an earlier `recording`. */
  private sendReport(state: "recording" | "ready" = "recording", attempts = 1): Promise<unknown> {
    const body = this.report(state);
    this.reports = this.reports.then(() => this.o.reporter.report(body, attempts));
    return this.reports;
  }

  /**
   * The session ended: every queued write lands, the live preview (if given) becomes the thumbnail and meta.json
   * says ready; resolves then. The manager's `ready` report follows (see `reported`).
   */
  finish(liveThumbnail?: () => Promise<Uint8Array | null>): Promise<void> {
    this.finishing ??= (async () => {
      this.cancelLoop?.();
      for (const u of this.unsubscribe.splice(0)) u();
      await this.queue;
      this.releaseWaiters();
      await this.thumbPending;
      if (this.abandoned) return;
      const id = this.o.videoId;
      if (!this.failed && liveThumbnail) {
        const jpeg = await liveThumbnail().catch(() => null);
        if (jpeg) {
          await this.o.storage
            .writeThumbnail("recordings", id, jpeg)
            .then(() => {
              this.bytes += jpeg.length;
            })
            .catch((err) => this.fail(err));
        }
      }
      this.meta.state = "ready";
      this.meta.endedAt = this.lastEnd ?? this.o.timers.now();
      // A disk too full for meta.json: recovery finalises it at the next start; it is served as VOD already.
      await this.o.storage
        .writeMeta("recordings", id, this.meta)
        .catch((err) =>
          this.o.logger.warn("recording meta not finalised", { videoId: id, err: String(err) }),
        );
      this.o.live.delete(id);
      // Not awaited: whoever waits for the session's end (an unpublish, a WHIP DELETE) must not wait on the
      // manager's retries; `reported` tells when it went out.
      this.reported = this.sendReport("ready", 4).then(() => undefined);
    })();
    return this.finishing;
  }

  /** Resolves once the `ready` report was sent (or given up on); before finish(), at once. */
  reported: Promise<void> = Promise.resolve();

  /** The recording is being deleted: nothing more is written or reported; resolves when no write is pending. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    this.cancelLoop?.();
    for (const u of this.unsubscribe.splice(0)) u();
    this.o.live.delete(this.o.videoId);
    this.releaseWaiters();
    await this.queue;
    await this.thumbPending;
  }
}
