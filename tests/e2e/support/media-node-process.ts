/**
 * A media node as its own process (`bun apps/media/src/main.ts`), the way a scaled-out deployment runs it, so a
 * test can crash it with SIGKILL: no stop(), no "offline" report, no goodbye to the manager.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { alive, cmdline, descendants } from "./processes.ts";
import { publishSynthetic } from "./synthetic-source.ts";
import { untilAnswers } from "./until.ts";

const MAIN = join(import.meta.dir, "..", "..", "..", "apps", "media", "src", "main.ts");

export interface MediaNodeProcess {
  id: string;
  httpPort: number;
  rtmpPort: number;
  /** What OBS would be told: `rtmp://127.0.0.1:<rtmpPort>/live`. */
  rtmpServer: string;
  /** stdout + stderr of the node (its JSON log lines). */
  logFile: string;
  proc: Bun.Subprocess;
  /** The node's log so far. */
  log(): string;
  /** SIGKILLs the node and the ffmpeg processes it spawned, as a machine that loses power would. */
  crash(): void;
  /** Graceful stop (SIGTERM, SIGKILL after 10 s); also reaps anything it left behind. */
  stop(): Promise<void>;
}

/** Spawns one media node on free ports, heart-beating to `managerUrl` as `id`, and waits until it answers. */
export async function spawnMediaNode(o: {
  id: string;
  managerUrl: string;
  token: string;
  /** The edge: the node's public HLS and WHIP bases become `<edge>/hls/<id>` and `<edge>/whip/<id>`. */
  edge: string;
  env?: Record<string, string>;
}): Promise<MediaNodeProcess> {
  const dir = mkdtempSync(join(tmpdir(), `hearth-${o.id}-`));
  const httpPort = freePort();
  const rtmpPort = freePort();
  const rtmpServer = `rtmp://127.0.0.1:${rtmpPort}/live`;
  const logFile = join(dir, "node.log");
  // One descriptor for both streams, so stdout and stderr lines interleave instead of overwriting each other.
  const logFd = openSync(logFile, "a");
  const proc = Bun.spawn([process.execPath, MAIN], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      MEDIA_HTTP_PORT: String(httpPort),
      RTMP_PORT: String(rtmpPort),
      BIND_HOST: "127.0.0.1",
      DATA_DIR: dir,
      HLS_DIR: join(dir, "hls"),
      INTERNAL_TOKEN: o.token,
      MANAGER_INTERNAL_URL: o.managerUrl,
      MEDIA_NODE_ID: o.id,
      MEDIA_NODE_INTERNAL_URL: `http://127.0.0.1:${httpPort}`,
      PUBLIC_RTMP_BASE: rtmpServer,
      PUBLIC_HLS_BASE: `${o.edge}/hls/${o.id}`,
      PUBLIC_WHIP_BASE: `${o.edge}/whip/${o.id}`,
      ...o.env,
    },
    stdin: "ignore",
    stdout: logFd,
    stderr: logFd,
  });
  closeSync(logFd);
  // Children are remembered as they appear: after a SIGKILL they are orphans that /proc no longer ties to us.
  const seen = new Set<number>();
  const remember = () => {
    for (const pid of descendants(proc.pid)) seen.add(pid);
  };
  const watcher = setInterval(remember, 500);
  const reapChildren = () => {
    remember();
    for (const pid of seen) if (alive(pid) && cmdline(pid).startsWith("ffmpeg")) process.kill(pid, "SIGKILL");
  };
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    clearInterval(watcher);
    reapChildren();
    rmSync(dir, { recursive: true, force: true });
  };
  const node: MediaNodeProcess = {
    id: o.id,
    httpPort,
    rtmpPort,
    rtmpServer,
    logFile,
    proc,
    log: () => readFileSync(logFile, "utf8"),
    crash() {
      remember();
      proc.kill("SIGKILL");
      reapChildren();
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        remember();
        proc.kill("SIGTERM");
        const killer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        await proc.exited;
        clearTimeout(killer);
      }
      cleanup();
    },
  };
  try {
    await untilAnswers(`http://127.0.0.1:${httpPort}/healthz`, 20_000);
  } catch (err) {
    const log = node.log();
    await node.stop();
    throw new Error(`media node ${o.id} did not start: ${(err as Error).message}\n${log}`);
  }
  return node;
}

/** A light synthetic publisher (H.264/AAC, 1 s GOP): 360p15 keeps two live streams cheap on 2 shared cores. */
export function publishLight(url: string, seconds: number): Bun.Subprocess<"ignore", "ignore", "pipe"> {
  return publishSynthetic(
    url,
    { seconds, width: 640, height: 360, fps: 15, videoKbps: 600, audioKbps: 64 },
    "pipe",
  );
}
