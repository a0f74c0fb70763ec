/**
 * Shared set-up for the media e2e suites: the real manager, chat and media node started in-process
 * on free ports over one fresh Postgres schema, and a real ffmpeg publisher.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StartedStream, StreamLookup } from "@hearth/contracts";
import { type DatabaseHandle, openDatabase } from "@hearth/db";
import { createLogger, type RunningApp } from "@hearth/server-kit";
import { start as startChat } from "../../apps/chat/src/main.ts";
import { start as startManager } from "../../apps/manager/src/main.ts";
import { type RunningMedia, start as startMedia } from "../../apps/media/src/main.ts";
import { capturingLogger } from "./support/capturing-logger.ts";
import { NO_CREATION_LIMITS } from "./support/creation-limits.ts";
import { freePort } from "./support/ports.ts";
import { publishSynthetic } from "./support/synthetic-source.ts";

export { until } from "./support/until.ts";

export const TOKEN = `media-e2e-${randomBytes(12).toString("hex")}`;
const DB_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface Platform {
  managerUrl: string;
  mediaUrl: string;
  media: RunningMedia;
  ports: { manager: number; chat: number; mediaHttp: number; rtmp: number };
  dataDir: string;
  logLines: string[];
  db: DatabaseHandle;
  stop(): Promise<void>;
}

/** Starts manager + chat + media in this process, sharing one fresh Postgres schema. */
export async function startPlatform(mediaEnv: Record<string, string> = {}): Promise<Platform> {
  const db = await openDatabase({ url: DB_URL, schema: `t_${randomBytes(6).toString("hex")}`, max: 4 });
  await db.migrate();
  const dataDir = mkdtempSync(join(tmpdir(), "hearth-media-e2e-"));
  const ports = { manager: freePort(), chat: freePort(), mediaHttp: freePort(), rtmp: freePort() };
  // Every line is kept, so tests can check that no stream key was ever logged.
  const lines: string[] = [];
  const logger = capturingLogger(lines);
  const common = {
    ...NO_CREATION_LIMITS,
    INTERNAL_TOKEN: TOKEN,
    BIND_HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    MANAGER_INTERNAL_URL: `http://127.0.0.1:${ports.manager}`,
    MEDIA_INTERNAL_URL: `http://127.0.0.1:${ports.mediaHttp}`,
    CHAT_INTERNAL_URL: `http://127.0.0.1:${ports.chat}`,
  };
  const apps: RunningApp[] = [];
  apps.push(await startManager({ env: { ...common, MANAGER_PORT: String(ports.manager) }, logger, db }));
  apps.push(await startChat({ env: { ...common, CHAT_PORT: String(ports.chat) }, logger, db }));
  const media = await startMedia({
    env: {
      ...common,
      MEDIA_HTTP_PORT: String(ports.mediaHttp),
      RTMP_PORT: String(ports.rtmp),
      PUBLIC_RTMP_BASE: `rtmp://127.0.0.1:${ports.rtmp}/live`,
      PUBLIC_HLS_BASE: `http://127.0.0.1:${ports.mediaHttp}/hls`,
      // Fastest preset: other suites share the 2 cores; the ladder's shape is what is tested here.
      X264_PRESET: "ultrafast",
      ...mediaEnv,
    },
    logger,
  });
  apps.push(media);
  return {
    managerUrl: `http://127.0.0.1:${ports.manager}`,
    mediaUrl: `http://127.0.0.1:${ports.mediaHttp}`,
    media,
    ports,
    dataDir,
    logLines: lines,
    db,
    async stop() {
      for (const app of apps.reverse()) await app.stop().catch(() => {});
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a stream through the manager's public API. */
export async function createStream(managerUrl: string, name: string): Promise<StartedStream> {
  const res = await fetch(`${managerUrl}/start_stream?name=${encodeURIComponent(name)}`, { method: "POST" });
  if (res.status !== 201) throw new Error(`start_stream answered ${res.status}: ${await res.text()}`);
  return StartedStream.parse(await res.json());
}

/** The manager's view of a stream. */
export async function lookup(managerUrl: string, publicId: string): Promise<StreamLookup> {
  return StreamLookup.parse(await (await fetch(`${managerUrl}/stream/${publicId}`)).json());
}

/** A synthetic 720p30 H.264/AAC publisher (1 s GOP, like OBS set up for low latency). */
export function publish(url: string, seconds: number): Bun.Subprocess<"ignore", "ignore", "pipe"> {
  return publishSynthetic(url, { seconds }, "pipe");
}

/** ffprobe's first video stream of a file. */
export async function probeVideo(
  path: string,
): Promise<{ width: number; height: number; codec_name: string }> {
  const proc = Bun.spawn(
    [
      "ffprobe",
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=width,height,codec_name",
      "-of",
      "json",
      path,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const s = (JSON.parse(out) as { streams?: Array<{ width: number; height: number; codec_name: string }> })
    .streams?.[0];
  if (!s) throw new Error(`ffprobe found no video in ${path}`);
  return s;
}

/** Waits for a process to exit, SIGKILLing it after `ms`. */
export async function reap(proc: Bun.Subprocess, ms = 5000): Promise<number | null> {
  const t = setTimeout(() => proc.kill("SIGKILL"), ms);
  const code = await proc.exited;
  clearTimeout(t);
  return code;
}

/** Silent logger for helpers that need one. */
export const quiet = createLogger({}, { silent: true });
