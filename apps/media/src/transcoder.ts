import type { Logger } from "@hearth/server-kit";
import type { Subprocess } from "bun";
import { cmafExtraStdio, pumpCmafPipes } from "./llhls/cmaf-input.ts";
import type { RenditionPackager } from "./llhls/rendition-packager.ts";

/** Where ffmpeg's input bytes come from when it reads stdin; returns an unsubscribe function. */
export type FeedSource = (write: (chunk: Buffer) => void) => () => void;

export interface TranscoderOptions {
  ffmpegPath: string;
  args: string[];
  /** Present for stdin input: every (re)started ffmpeg gets a fresh subscription (it starts at a keyframe). */
  feed?: FeedSource;
  logger: Logger;
  /**
   * LL-HLS: ffmpeg writes rung i as CMAF on descriptor 3 + i, pumped into `cmaf[i]`. Each (re)started
   * ffmpeg is a new input of the same packagers (a discontinuity; numbering continues).
   */
  cmaf?: { rungNames: string[]; packagers: RenditionPackager[] };
  /** Called once per unexpected exit, before the restart is scheduled. */
  onCrash?(): void;
  /** Called instead of a restart when ffmpeg keeps failing at once (bad input): the session should end. */
  onGiveUp?(): void;
}

/** What the status endpoint and /metrics show about a running transcoder. */
export interface TranscoderStats {
  pid: number | null;
  speed: number | null;
  droppedFrames: number;
  restarts: number;
  startedAt: string | null;
}

const STDERR_TAIL_LINES = 20;
const FIRST_RESTART_MS = 200;
const MAX_RESTART_MS = 2000;
/** A run this long counts as healthy: the next crash restarts at the shortest delay again. */
const STABLE_MS = 30_000;
/** A run shorter than this that ends in a crash counts towards giving up. */
const FAST_CRASH_MS = 5_000;
const MAX_FAST_CRASHES = 8;
/** ffmpeg reports progress every second; this long without a report means it hangs. */
const STALL_MS = 10_000;

/**
 * One supervised ffmpeg: restarts it after a crash (200 ms, doubling, at most 2 s) while the stream is
 * live, and stops it on request (end of input first, then SIGKILL after a grace period).
 */
export class Transcoder {
  private proc: Subprocess<"pipe", "pipe", "pipe"> | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private delay = FIRST_RESTART_MS;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private stderrTail: string[] = [];
  private fastCrashes = 0;
  private lastProgressAt = 0;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  /** Resolves when every CMAF pipe of the current ffmpeg has been read to its end. */
  private pumping: Promise<unknown> = Promise.resolve();
  private readonly s: TranscoderStats = {
    pid: null,
    speed: null,
    droppedFrames: 0,
    restarts: 0,
    startedAt: null,
  };

  constructor(private readonly o: TranscoderOptions) {}

  /** Current numbers for the status endpoint. */
  stats(): TranscoderStats {
    return { ...this.s };
  }

  /** Every pid this transcoder currently owns (for shutdown checks). */
  pid(): number | null {
    return this.proc?.pid ?? null;
  }

  start(): void {
    if (this.stopped) return;
    const cmaf = this.o.cmaf;
    const proc = Bun.spawn([this.o.ffmpegPath, ...this.o.args], {
      stdio: ["pipe", "pipe", "pipe", ...cmafExtraStdio(cmaf?.packagers.length ?? 0)],
    });
    if (cmaf) {
      this.pumping = pumpCmafPipes(proc, cmaf.packagers).then((errs) =>
        errs.forEach((e, i) => {
          if (e) this.o.logger.error("CMAF input broke", { rung: cmaf.rungNames[i], err: e.message });
        }),
      );
    }
    const started = Date.now();
    this.lastProgressAt = started;
    this.proc = proc;
    this.s.pid = proc.pid;
    this.s.startedAt = new Date(started).toISOString();
    this.stderrTail = [];
    if (this.o.feed) {
      this.unsubscribe = this.o.feed((chunk) => {
        try {
          // write() may hand back a pending flush, which rejects (EPIPE) once ffmpeg is gone.
          const pending = proc.stdin.write(chunk) as number | Promise<number>;
          if (pending instanceof Promise) pending.catch(() => {});
        } catch {
          // ffmpeg is gone; the exit handler restarts it.
        }
      });
    }
    void this.readProgress(proc);
    void this.readStderr(proc);
    void proc.exited.then((code) => this.onExit(proc, code, Date.now() - started));
    // A hung ffmpeg (alive, not reading its input) would buffer the stream in memory: kill it and restart.
    this.watchdog ??= setInterval(() => {
      const p = this.proc;
      if (p && Date.now() - this.lastProgressAt > STALL_MS) {
        this.o.logger.error("ffmpeg stalled (no progress for 10 s); killing it", { pid: p.pid });
        this.lastProgressAt = Date.now();
        p.kill("SIGKILL");
      }
    }, 2000);
  }

  private onExit(proc: Subprocess, code: number | null, ranMs: number): void {
    if (this.proc !== proc) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.proc = null;
    this.s.pid = null;
    if (this.stopped) return;
    if (ranMs > STABLE_MS) this.delay = FIRST_RESTART_MS;
    this.fastCrashes = ranMs < FAST_CRASH_MS ? this.fastCrashes + 1 : 0;
    if (this.fastCrashes >= MAX_FAST_CRASHES) {
      this.o.logger.error("ffmpeg keeps failing at start; giving up on this session", {
        crashes: this.fastCrashes,
        stderrTail: this.stderrTail.join("\n"),
      });
      this.stopped = true;
      this.clearWatchdog();
      this.o.onGiveUp?.();
      return;
    }
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, MAX_RESTART_MS);
    this.s.restarts += 1;
    this.o.logger.error("ffmpeg exited while the publisher is live; restarting", {
      code,
      signal: proc.signalCode,
      restartInMs: delay,
      stderrTail: this.stderrTail.join("\n"),
    });
    this.o.onCrash?.();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, delay);
  }

  /** Stops for good: closes ffmpeg's input so it finishes the last segment, SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopped = true;
    this.clearWatchdog();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const proc = this.proc;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (!proc) return;
    try {
      if (this.o.feed) await proc.stdin.end();
      else proc.kill("SIGTERM");
    } catch {
      proc.kill("SIGTERM");
    }
    const killer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await proc.exited;
    // The last fragments may still sit in the pipes: the packagers must have them before the playlist ends.
    await this.pumping;
    clearTimeout(killer);
    this.proc = null;
    this.s.pid = null;
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private async readProgress(proc: Subprocess<"pipe", "pipe", "pipe">): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
        const eq = line.indexOf("=");
        if (eq < 0) continue;
        const k = line.slice(0, eq);
        const v = line.slice(eq + 1);
        if (k === "progress") this.lastProgressAt = Date.now();
        else if (k === "speed") {
          const n = Number.parseFloat(v);
          this.s.speed = Number.isFinite(n) ? n : null;
        } else if (k === "drop_frames") this.s.droppedFrames = Number.parseInt(v, 10) || 0;
      }
    }
  }

  private async readStderr(proc: Subprocess<"pipe", "pipe", "pipe">): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      const lines = decoder.decode(chunk, { stream: true }).split("\n").filter(Boolean);
      this.stderrTail.push(...lines);
      if (this.stderrTail.length > STDERR_TAIL_LINES)
        this.stderrTail.splice(0, this.stderrTail.length - STDERR_TAIL_LINES);
    }
  }
}
