import type { Logger } from "@hearth/server-kit";
import { type Clock, type ClockTimer, systemClock } from "./clock.ts";
import { LineTail, readLines } from "./line-reader.ts";

/** Where a process's stdin goes: Bun's FileSink (write returns the bytes taken, or a promise while it is full). */
export interface StdinSink {
  write(chunk: Uint8Array): number | Promise<number>;
  end(): unknown;
}

/** What the supervisor needs of a spawned process (Bun's Subprocess has it; tests give fakes). */
export interface SupervisedProcess {
  readonly pid: number;
  readonly stdin: StdinSink | null;
  readonly stdout: AsyncIterable<Uint8Array> | null;
  readonly stderr: AsyncIterable<Uint8Array> | null;
  /** Descriptors of the extra pipes (3, 4, ...), as Bun gives them. */
  readonly stdio: readonly (number | null | unknown)[];
  readonly exited: Promise<number | null>;
  readonly signalCode: string | null;
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnRequest {
  cmd: string[];
  /** "pipe" when the caller writes ffmpeg's input; a Blob for a fixed input; "ignore" for none. */
  stdin: "pipe" | "ignore" | Blob;
  /** Extra output pipes after stderr (descriptors 3, 4, ...). */
  extraPipes: number;
}

/** Starts a process; may throw (EMFILE, ENOENT), which counts as a failed start. */
export type Spawn = (r: SpawnRequest) => SupervisedProcess;

/** Bun.spawn behind the Spawn interface. */
export const bunSpawn: Spawn = (r) =>
  Bun.spawn(r.cmd, {
    stdio: [r.stdin, "pipe", "pipe", ...Array.from({ length: r.extraPipes }, () => "pipe" as const)],
  }) as unknown as SupervisedProcess;

/** ffmpeg's `-progress` numbers. */
export interface Progress {
  /** ffmpeg's `speed` (1 = real time); null until reported. */
  speed: number | null;
  droppedFrames: number;
  /** Output timestamp reached (`out_time_us`), µs; null until reported. */
  outTimeUs: number | null;
  /** When the last progress block arrived (clock ms). */
  at: number;
}

/** When and how often a crashed process is restarted. */
export interface RestartPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A run this long counts as healthy: the next crash restarts at the shortest delay again. */
  stableMs: number;
  /** A run shorter than this that ends in a crash counts towards giving up. */
  fastCrashMs: number;
  maxFastCrashes: number;
}

/** 200 ms, doubling, at most 2 s; give up after 8 crashes within 5 s of their start. */
export const DEFAULT_RESTART: RestartPolicy = {
  firstDelayMs: 200,
  maxDelayMs: 2000,
  stableMs: 30_000,
  fastCrashMs: 5_000,
  maxFastCrashes: 8,
};

/** What the caller attaches to each new process (input feed, output pumps). */
export interface Attachment {
  /** Settles once the process's outputs are read to their end (awaited before stop() resolves). */
  drained?: Promise<unknown>;
  /** Stops feeding the process (called on exit and on stop). */
  detach?(): void;
}

export interface SupervisorOptions {
  ffmpegPath: string;
  /** Read at every spawn, so a reload() picks up new arguments. */
  args: () => string[];
  stdin: "pipe" | "ignore" | Blob;
  /** Extra output pipes at every spawn. */
  extraPipes?: () => number;
  logger: Logger;
  clock?: Clock;
  spawn?: Spawn;
  /** null: a one-shot process (a thumbnail grab), never restarted. */
  restart?: RestartPolicy | null;
  /** No progress for this long means ffmpeg hangs: it is killed (and restarted). 0 turns the watchdog off. */
  stallMs?: number;
  attach?(proc: SupervisedProcess): Attachment;
  onProgress?(p: Progress): void;
  /** Called once per unexpected exit, before the restart is scheduled. */
  onCrash?(): void;
  /** Called instead of a restart when the process keeps failing at once (bad input): the session should end. */
  onGiveUp?(): void;
  /** A one-shot process ended (code null when it could not start or was killed). */
  onExit?(code: number | null): void;
}

const STDERR_TAIL_LINES = 20;
const WATCHDOG_EVERY_MS = 2000;
/** How long a reload lets the old process end on SIGTERM before SIGKILL. */
const RELOAD_GRACE_MS = 1000;

/**
 * One supervised ffmpeg: spawns it, reads its progress and stderr with one line reader, restarts it after a
 * crash with backoff, kills it when it hangs, and stops it with a deadline that starts at the stop. Every
 * promise it creates is handled: nothing it does can become an unhandled rejection.
 */
export class FfmpegSupervisor {
  private proc: SupervisedProcess | null = null;
  private attachment: Attachment | null = null;
  private stopped = false;
  private reloading = false;
  private delay: number;
  private fastCrashes = 0;
  private restartTimer: ClockTimer | null = null;
  private watchdog: ClockTimer | null = null;
  private readonly tail = new LineTail(STDERR_TAIL_LINES);
  private readonly clock: Clock;
  private readonly spawn: Spawn;
  private progress: Progress;
  private startedAt: number | null = null;
  private exitWaiters: Array<() => void> = [];
  /** Restarts after a crash (not reloads). */
  restarts = 0;

  constructor(private readonly o: SupervisorOptions) {
    this.clock = o.clock ?? systemClock;
    this.spawn = o.spawn ?? bunSpawn;
    this.delay = o.restart?.firstDelayMs ?? 0;
    this.progress = { speed: null, droppedFrames: 0, outTimeUs: null, at: this.clock.now() };
  }

  /** The running process's pid. */
  pid(): number | null {
    return this.proc?.pid ?? null;
  }

  /** The newest progress numbers. */
  lastProgress(): Progress {
    return { ...this.progress };
  }

  /** When the current process started (clock ms), null when none runs. */
  runningSince(): number | null {
    return this.proc ? this.startedAt : null;
  }

  /** The last lines ffmpeg wrote to stderr. */
  stderrTail(): string {
    return this.tail.text();
  }

  /** Spawns the process (a failed spawn is handled like a crash). */
  start(): void {
    if (this.stopped || this.proc) return;
    const started = this.clock.now();
    let proc: SupervisedProcess;
    try {
      proc = this.spawn({
        cmd: [this.o.ffmpegPath, ...this.o.args()],
        stdin: this.o.stdin,
        extraPipes: this.o.extraPipes?.() ?? 0,
      });
    } catch (err) {
      this.o.logger.error("ffmpeg could not be started", { err: String(err) });
      this.afterExit(null, null, 0);
      return;
    }
    this.proc = proc;
    this.startedAt = started;
    this.tail.clear();
    this.progress = { speed: null, droppedFrames: 0, outTimeUs: null, at: started };
    try {
      this.attachment = this.o.attach?.(proc) ?? null;
    } catch (err) {
      this.o.logger.error("ffmpeg's pipes could not be attached", { err: String(err) });
      proc.kill("SIGKILL");
    }
    this.readProgress(proc).catch(() => {});
    this.readStderr(proc).catch(() => {});
    proc.exited.then(
      (code) => this.onExit(proc, code, this.clock.now() - started),
      () => this.onExit(proc, null, this.clock.now() - started),
    );
    if (this.o.stallMs && !this.watchdog) this.armWatchdog();
  }

  /** Ends the current process now and starts a new one with the current `args()` (no backoff, not a crash). */
  reload(): void {
    if (this.stopped) return;
    const proc = this.proc;
    if (!proc) {
      if (this.restartTimer) this.clock.clearTimeout(this.restartTimer);
      this.restartTimer = null;
      this.start();
      return;
    }
    this.reloading = true;
    this.detach();
    proc.kill("SIGTERM");
    const killer = this.clock.setTimeout(() => proc.kill("SIGKILL"), RELOAD_GRACE_MS);
    proc.exited.then(
      () => this.clock.clearTimeout(killer),
      () => this.clock.clearTimeout(killer),
    );
  }

  /**
   * Stops for good. The deadline starts now: stdin is closed (not awaited: a backlog must not delay the kill)
   * so ffmpeg can finish its last fragment, SIGTERM follows at a quarter of `graceMs` and SIGKILL at `graceMs`. Resolves once the process has
   * exited and its outputs are drained.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (this.watchdog) this.clock.clearTimeout(this.watchdog);
    this.watchdog = null;
    const proc = this.proc;
    const attachment = this.attachment;
    this.detach();
    if (!proc) return;
    const killer = this.clock.setTimeout(() => proc.kill("SIGKILL"), graceMs);
    // End of input is the clean way out; if ffmpeg is still busy with its backlog a little later, SIGTERM makes
    // it stop reading and close its outputs at once (it still writes the fragments it has).
    const terminator = this.clock.setTimeout(() => proc.kill("SIGTERM"), Math.floor(graceMs / 4));
    if (proc.stdin) {
      try {
        Promise.resolve(proc.stdin.end()).catch(() => proc.kill("SIGTERM"));
      } catch {
        proc.kill("SIGTERM");
      }
    } else proc.kill("SIGTERM");
    await proc.exited.catch(() => null);
    this.clock.clearTimeout(killer);
    this.clock.clearTimeout(terminator);
    // The last fragments may still sit in the pipes: whoever reads them must have them before we say "stopped".
    await attachment?.drained?.catch(() => {});
  }

  private detach(): void {
    const a = this.attachment;
    this.attachment = null;
    try {
      a?.detach?.();
    } catch (err) {
      this.o.logger.warn("ffmpeg input detach failed", { err: String(err) });
    }
  }

  private onExit(proc: SupervisedProcess, code: number | null, ranMs: number): void {
    if (this.proc !== proc) return;
    this.detach();
    this.proc = null;
    for (const w of this.exitWaiters.splice(0)) w();
    if (this.stopped) return;
    if (this.reloading) {
      this.reloading = false;
      this.start();
      return;
    }
    this.afterExit(code, proc.signalCode, ranMs);
  }

  /** A process ended on its own (or never started): restart with backoff, give up, or report a one-shot's end. */
  private afterExit(code: number | null, signal: string | null, ranMs: number): void {
    const policy = this.o.restart;
    if (!policy) {
      this.stopped = true;
      if (this.watchdog) this.clock.clearTimeout(this.watchdog);
      this.watchdog = null;
      this.o.onExit?.(code);
      return;
    }
    if (ranMs > policy.stableMs) this.delay = policy.firstDelayMs;
    this.fastCrashes = ranMs < policy.fastCrashMs ? this.fastCrashes + 1 : 0;
    if (this.fastCrashes >= policy.maxFastCrashes) {
      this.o.logger.error("ffmpeg keeps failing at start; giving up on this session", {
        crashes: this.fastCrashes,
        stderrTail: this.tail.text(),
      });
      this.stopped = true;
      if (this.watchdog) this.clock.clearTimeout(this.watchdog);
      this.watchdog = null;
      this.o.onGiveUp?.();
      return;
    }
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, policy.maxDelayMs);
    this.restarts += 1;
    this.o.logger.error("ffmpeg exited while the publisher is live; restarting", {
      code,
      signal,
      restartInMs: delay,
      stderrTail: this.tail.text(),
    });
    this.o.onCrash?.();
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, delay);
  }

  /** Resolves when the current process (if any) has exited. */
  exited(): Promise<void> {
    if (!this.proc) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private armWatchdog(): void {
    const stallMs = this.o.stallMs ?? 0;
    this.watchdog = this.clock.setTimeout(() => {
      this.watchdog = null;
      if (this.stopped) return;
      const p = this.proc;
      if (p && !this.reloading && this.clock.now() - this.progress.at > stallMs) {
        // A hung ffmpeg (alive, not reading its input) would hold the stream back: kill it; it restarts.
        this.o.logger.error("ffmpeg stalled (no progress); killing it", { pid: p.pid, stallMs });
        this.progress.at = this.clock.now();
        p.kill("SIGKILL");
      }
      this.armWatchdog();
    }, WATCHDOG_EVERY_MS);
  }

  private async readProgress(proc: SupervisedProcess): Promise<void> {
    if (!proc.stdout) return;
    for await (const line of readLines(proc.stdout)) {
      if (this.proc !== proc) continue;
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const k = line.slice(0, eq).trim();
      const v = line.slice(eq + 1).trim();
      if (k === "speed") {
        const n = Number.parseFloat(v);
        this.progress.speed = Number.isFinite(n) ? n : null;
      } else if (k === "drop_frames") this.progress.droppedFrames = Number.parseInt(v, 10) || 0;
      else if (k === "out_time_us") {
        const n = Number.parseInt(v, 10);
        if (Number.isFinite(n)) this.progress.outTimeUs = n;
      } else if (k === "progress") {
        this.progress.at = this.clock.now();
        try {
          this.o.onProgress?.({ ...this.progress });
        } catch (err) {
          this.o.logger.warn("progress handler failed", { err: String(err) });
        }
      }
    }
  }

  private async readStderr(proc: SupervisedProcess): Promise<void> {
    if (!proc.stderr) return;
    for await (const line of readLines(proc.stderr)) this.tail.push(line);
  }
}

/**
 * Runs a one-shot ffmpeg (a thumbnail grab) under the supervisor: killed after `deadlineMs`, resolves with its
 * exit code (null when it could not start or was killed). `kill()` ends it early.
 */
export function runOnce(o: {
  ffmpegPath: string;
  args: string[];
  stdin: Blob | "ignore";
  deadlineMs: number;
  logger: Logger;
  clock?: Clock;
  spawn?: Spawn;
}): { done: Promise<number | null>; kill(): void; pid(): number | null } {
  let resolve!: (code: number | null) => void;
  const done = new Promise<number | null>((r) => (resolve = r));
  const clock = o.clock ?? systemClock;
  let deadline: ClockTimer | null = null;
  const sup = new FfmpegSupervisor({
    ffmpegPath: o.ffmpegPath,
    args: () => o.args,
    stdin: o.stdin,
    logger: o.logger,
    clock,
    ...(o.spawn ? { spawn: o.spawn } : {}),
    restart: null,
    onExit: (code) => {
      if (deadline) clock.clearTimeout(deadline);
      resolve(code);
    },
  });
  sup.start();
  deadline = clock.setTimeout(() => void sup.stop(0).then(() => resolve(null)), o.deadlineMs);
  return {
    done,
    kill: () => {
      void sup.stop(0).then(() => resolve(null));
    },
    pid: () => sup.pid(),
  };
}
