import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "@hearth/server-kit";
import type { ChildHandle, SpawnFfmpeg } from "./ffmpeg-spawn.ts";
import { reserveRtpPorts } from "./local-ports.ts";
import type { OfferChoice } from "./offer.ts";
import { type RelayPorts, relayArgs, relaySdp } from "./relay-command.ts";

export interface RelayOptions {
  sessionId: string;
  choice: OfferChoice;
  /** The RTMP URL to publish to; contains the stream key, so it is never logged. */
  rtmpUrl: string;
  /** The stream key, redacted from every ffmpeg line we log. */
  key: string;
  spawnFfmpeg: SpawnFfmpeg;
  logger: Logger;
  /** Called after each (re)start, so the session can ask the browser for a keyframe. */
  onStart(): void;
  /** Asked after an unexpected exit: false (e.g. the stream was ended) stops the relay for good. */
  shouldRestart(): Promise<boolean>;
  /** Called once when the relay gives up (too many restarts, or shouldRestart said no). */
  onFail(reason: string): void;
  tmpDir?: string;
  /** Delay before a restart. */
  restartDelayMs?: number;
  /** Restarts allowed within one minute before giving up. */
  maxRestartsPerMinute?: number;
}

/**
 * One supervised ffmpeg per WHIP session: RTP in on local UDP ports, FLV out to RTMP. Restarts
 * after an unexpected exit (the RTMP server restarted, a port collided) with a bounded rate.
 */
export class Relay {
  ports: RelayPorts | undefined;
  private child: ChildHandle | undefined;
  private sdpPath: string;
  private stopped = false;
  private restarts: number[] = [];

  constructor(private readonly o: RelayOptions) {
    this.sdpPath = join(o.tmpDir ?? tmpdir(), `hearth-whip-${o.sessionId}.sdp`);
  }

  /** Picks ports, writes the SDP file and starts ffmpeg. */
  async start(): Promise<RelayPorts> {
    const [video, audio] = await reserveRtpPorts(this.o.choice.audio ? 2 : 1);
    if (video === undefined) throw new Error("no relay port");
    this.ports = { video, ...(audio !== undefined ? { audio } : {}) };
    await writeFile(this.sdpPath, relaySdp(this.o.choice, this.ports), { mode: 0o600 });
    this.spawn();
    return this.ports;
  }

  /** The running ffmpeg's pid (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private spawn(): void {
    const { key, logger } = this.o;
    const child = this.o.spawnFfmpeg(relayArgs(this.o.choice, this.sdpPath, this.o.rtmpUrl), (line) => {
      logger.warn("relay ffmpeg", { line: line.split(key).join("<key>").slice(0, 300) });
    });
    this.child = child;
    logger.info("relay started", { pid: child.pid });
    this.o.onStart();
    void child.exited.then((code) => this.onExit(child, code));
  }

  private async onExit(child: ChildHandle, code: number | null): Promise<void> {
    if (this.stopped || this.child !== child) return;
    this.child = undefined;
    this.o.logger.warn("relay exited", { code });
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (this.restarts.length >= (this.o.maxRestartsPerMinute ?? 5))
      return this.o.onFail("relay keeps failing");
    const again = await this.o.shouldRestart().catch(() => false);
    if (!again) return this.o.onFail("relay ended and the stream no longer accepts this key");
    await Bun.sleep(this.o.restartDelayMs ?? 1000);
    if (this.stopped) return;
    this.restarts.push(Date.now());
    this.spawn();
  }

  /** Stops ffmpeg (SIGTERM lets it close the RTMP session cleanly; SIGKILL after 2 s) and removes the SDP file. */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    if (child) {
      child.kill("SIGTERM");
      const killed = await Promise.race([child.exited.then(() => true), Bun.sleep(2000).then(() => false)]);
      if (!killed) {
        child.kill("SIGKILL");
        await child.exited;
      }
    }
    await rm(this.sdpPath, { force: true });
  }
}
