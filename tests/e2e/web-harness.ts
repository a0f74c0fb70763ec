/**
 * The whole platform for the web e2e suites: manager, chat, media and web started in this process
 * through each app's exported start(), on free ports, over one fresh Postgres schema (as scripts/start.ts
 * does in embedded mode). Every log line is kept so a suite can check no stream key was ever logged.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@hearth/db";
import type { AppStartOptions, RunningApp } from "@hearth/server-kit";
import { capturingLogger } from "./support/capturing-logger.ts";
import { NO_CREATION_LIMITS } from "./support/creation-limits.ts";
import { freePort } from "./support/ports.ts";
import { PAGE_POLL_MS, type Probe, until as pollUntil, untilAnswers } from "./support/until.ts";

const ROOT = join(import.meta.dir, "..", "..");
const DB_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface WebPlatform {
  webUrl: string;
  managerUrl: string;
  mediaUrl: string;
  /** The chat node's HTTP side (/metrics, /healthz). */
  chatUrl: string;
  /** Log lines of every app, by app name. */
  logs: Record<string, string[]>;
  stop(): Promise<void>;
}

type Start = (o: AppStartOptions) => Promise<RunningApp>;
async function load(app: string): Promise<Start> {
  const mod = (await import(join(ROOT, "apps", app, "src", "main.ts"))) as { start: Start };
  return mod.start;
}

/** Starts the four apps (manager first, web last, like the launcher); stop() undoes all of it. `env` adds to every app's. */
export async function startWebPlatform(env: Record<string, string> = {}): Promise<WebPlatform> {
  const db = await openDatabase({ url: DB_URL, schema: `t_${randomBytes(6).toString("hex")}`, max: 4 });
  await db.migrate();
  const dataDir = mkdtempSync(join(tmpdir(), "hearth-web-e2e-"));
  const p = { web: freePort(), manager: freePort(), chat: freePort(), media: freePort(), rtmp: freePort() };
  const common = {
    ...NO_CREATION_LIMITS,
    INTERNAL_TOKEN: `web-e2e-${randomBytes(12).toString("hex")}`,
    BIND_HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    MANAGER_INTERNAL_URL: `http://127.0.0.1:${p.manager}`,
    MEDIA_INTERNAL_URL: `http://127.0.0.1:${p.media}`,
    CHAT_INTERNAL_URL: `http://127.0.0.1:${p.chat}`,
    WEB_PORT: String(p.web),
    MANAGER_PORT: String(p.manager),
    CHAT_PORT: String(p.chat),
    MEDIA_HTTP_PORT: String(p.media),
    RTMP_PORT: String(p.rtmp),
    PUBLIC_WEB_URL: `http://127.0.0.1:${p.web}`,
    MANAGER_URL: `http://127.0.0.1:${p.manager}`,
    PUBLIC_CHAT_BASE: `ws://127.0.0.1:${p.chat}`,
    PUBLIC_RTMP_BASE: `rtmp://127.0.0.1:${p.rtmp}/live`,
    PUBLIC_HLS_BASE: `http://127.0.0.1:${p.media}/hls`,
    PUBLIC_WHIP_BASE: `http://127.0.0.1:${p.media}/whip`,
    // Fastest x264 preset: the machine has 2 shared cores; what is tested is the pages, not quality.
    X264_PRESET: "ultrafast",
    // The pages are tested, not real-time degradation (tests/e2e/media-capacity*), which would cut rungs under load.
    MEDIA_DEGRADE: "false",
    COUNTS_POLL_MS: "1000",
    DIRECTORY_CACHE_MS: "0",
    ...env,
  };
  const logs: Record<string, string[]> = {};
  const apps: RunningApp[] = [];
  const stop = async () => {
    for (const app of apps.reverse()) await app.stop().catch(() => {});
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (const name of ["manager", "chat", "media", "web"]) {
      logs[name] = [];
      const start = await load(name);
      apps.push(
        await start({ env: common, logger: capturingLogger(logs[name] as string[], { svc: name }), db }),
      );
    }
    await untilAnswers(`http://127.0.0.1:${p.manager}/readyz`, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    webUrl: `http://127.0.0.1:${p.web}`,
    managerUrl: `http://127.0.0.1:${p.manager}`,
    mediaUrl: `http://127.0.0.1:${p.media}`,
    chatUrl: `http://127.0.0.1:${p.chat}`,
    logs,
    stop,
  };
}

/** {@link pollUntil} at the web suites' pace: most of their probes are round trips into Chromium. */
export function until<T>(
  what: string,
  timeoutMs: number,
  probe: Probe<T>,
  everyMs = PAGE_POLL_MS,
): Promise<T> {
  return pollUntil(what, timeoutMs, probe, everyMs);
}
