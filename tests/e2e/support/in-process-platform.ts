/**
 * The four apps (manager, chat, media, web) started in this process through each app's exported start(), on
 * free ports, over one fresh Postgres schema and data directory, as scripts/start.ts does in embedded mode.
 * Every log line is kept, by app name, so a suite can check no secret was ever logged. The web and CDN
 * harnesses build on it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@hearth/db";
import type { AppStartOptions, RunningApp } from "@hearth/server-kit";
import { capturingLogger } from "./capturing-logger.ts";
import { freePort } from "./ports.ts";
import { untilAnswers } from "./until.ts";

const ROOT = join(import.meta.dir, "..", "..", "..");
const DB_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface AppPorts {
  web: number;
  manager: number;
  chat: number;
  media: number;
  rtmp: number;
}

export interface InProcessApps {
  ports: AppPorts;
  /** Log lines of every app, by app name. */
  logs: Record<string, string[]>;
  /** The services' shared secret (secret scans look for it). */
  internalToken: string;
  /** Stops the apps (web first) and removes the schema's connection and the data directory. */
  stop(): Promise<void>;
}

type Start = (o: AppStartOptions) => Promise<RunningApp>;

/**
 * Starts the four apps (manager first, web last, like the launcher) with the public bases pointing straight at
 * them; `env(ports)` adds to or overrides every app's settings. Resolves once the manager's /readyz answers.
 */
export async function startAppsInProcess(o: {
  /** Names the data directory and the internal token, for a reader of /tmp or a log. */
  label: string;
  env?: (p: AppPorts) => Record<string, string>;
}): Promise<InProcessApps> {
  const db = await openDatabase({ url: DB_URL, schema: `t_${randomBytes(6).toString("hex")}`, max: 4 });
  await db.migrate();
  const dataDir = mkdtempSync(join(tmpdir(), `hearth-${o.label}-`));
  const p = { web: freePort(), manager: freePort(), chat: freePort(), media: freePort(), rtmp: freePort() };
  const env = {
    INTERNAL_TOKEN: `${o.label}-${randomBytes(12).toString("hex")}`,
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
    PUBLIC_RTMP_BASE: `rtmp://127.0.0.1:${p.rtmp}/live`,
    PUBLIC_WEB_URL: `http://127.0.0.1:${p.web}`,
    MANAGER_URL: `http://127.0.0.1:${p.manager}`,
    PUBLIC_CHAT_BASE: `ws://127.0.0.1:${p.chat}`,
    PUBLIC_HLS_BASE: `http://127.0.0.1:${p.media}/hls`,
    PUBLIC_WHIP_BASE: `http://127.0.0.1:${p.media}/whip`,
    // Fastest x264 preset: 2 shared cores; what the suites test is not picture quality.
    X264_PRESET: "ultrafast",
    COUNTS_POLL_MS: "1000",
    DIRECTORY_CACHE_MS: "0",
    ...o.env?.(p),
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
      const lines: string[] = [];
      logs[name] = lines;
      const mod = (await import(join(ROOT, "apps", name, "src", "main.ts"))) as { start: Start };
      apps.push(await mod.start({ env, logger: capturingLogger(lines, { svc: name }), db }));
    }
    await untilAnswers(`http://127.0.0.1:${p.manager}/readyz`, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports: p, logs, internalToken: env.INTERNAL_TOKEN, stop };
}
