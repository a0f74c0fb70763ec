/**
 * The whole platform behind the real CDN, on one machine: manager, chat, media and web started in this process
 * (each through its own start(), as scripts/start.ts does) over a fresh Postgres schema, and infra/cdn.sh's
 * shield + edge in front. `behindEdge` decides where the pages point viewers: at the edge (the production path:
 * PUBLIC_HLS_BASE, MANAGER_URL and PUBLIC_CHAT_BASE on the edge's host) or straight at the apps (origin).
 * Used by the CDN e2e suites and bench/latency.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@hearth/db";
import type { AppStartOptions, RunningApp } from "@hearth/server-kit";
import { type RunningCdn, startCdn } from "./cdn-harness.ts";
import { capturingLogger } from "./support/capturing-logger.ts";
import { freePort } from "./support/ports.ts";
import { untilAnswers } from "./support/until.ts";

const ROOT = join(import.meta.dir, "..", "..");
const DB_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface CdnPlatform {
  /** Where a viewer opens pages: the edge, or the web app itself. */
  webUrl: string;
  managerUrl: string;
  mediaUrl: string;
  rtmpBase: string;
  cdn: RunningCdn;
  logs: Record<string, string[]>;
  /** The services' shared secret (secret scans look for it). */
  internalToken: string;
  stop(): Promise<void>;
}

type Start = (o: AppStartOptions) => Promise<RunningApp>;

export async function startCdnPlatform(o: {
  behindEdge: boolean;
  accessLog?: boolean;
  /** Extra settings for every app (e.g. HLS_LADDER). */
  env?: Record<string, string>;
}): Promise<CdnPlatform> {
  const db = await openDatabase({ url: DB_URL, schema: `t_${randomBytes(6).toString("hex")}`, max: 4 });
  await db.migrate();
  const dataDir = mkdtempSync(join(tmpdir(), "hearth-cdn-platform-"));
  const p = {
    web: freePort(),
    manager: freePort(),
    chat: freePort(),
    media: freePort(),
    rtmp: freePort(),
    edge: freePort(),
  };
  const edge = `http://127.0.0.1:${p.edge}`;
  const direct = {
    PUBLIC_WEB_URL: `http://127.0.0.1:${p.web}`,
    MANAGER_URL: `http://127.0.0.1:${p.manager}`,
    PUBLIC_CHAT_BASE: `ws://127.0.0.1:${p.chat}`,
    PUBLIC_HLS_BASE: `http://127.0.0.1:${p.media}/hls`,
    PUBLIC_WHIP_BASE: `http://127.0.0.1:${p.media}/whip`,
  };
  // The one setting that moves viewers to the CDN: every public base on the edge's host.
  const viaEdge = {
    PUBLIC_WEB_URL: edge,
    MANAGER_URL: `${edge}/api`,
    PUBLIC_CHAT_BASE: `ws://127.0.0.1:${p.edge}`,
    PUBLIC_HLS_BASE: `${edge}/hls/media-1`,
    PUBLIC_WHIP_BASE: `${edge}/whip/media-1`,
  };
  const env = {
    INTERNAL_TOKEN: `cdn-e2e-${randomBytes(12).toString("hex")}`,
    BIND_HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    MANAGER_INTERNAL_URL: `http://127.0.0.1:${p.manager}`,
    MEDIA_INTERNAL_URL: `http://127.0.0.1:${p.media}`,
    CHAT_INTERNAL_URL: `http://127.0.0.1:${p.chat}`,
    MANAGER_SSR_URL: `http://127.0.0.1:${p.manager}`,
    WEB_PORT: String(p.web),
    MANAGER_PORT: String(p.manager),
    CHAT_PORT: String(p.chat),
    MEDIA_HTTP_PORT: String(p.media),
    RTMP_PORT: String(p.rtmp),
    PUBLIC_RTMP_BASE: `rtmp://127.0.0.1:${p.rtmp}/live`,
    ...(o.behindEdge ? viaEdge : direct),
    // Fastest x264 preset: 2 shared cores; the delivery path is what is measured, not picture quality.
    X264_PRESET: "ultrafast",
    COUNTS_POLL_MS: "1000",
    DIRECTORY_CACHE_MS: "0",
    ...o.env,
  };
  const logs: Record<string, string[]> = {};
  const apps: RunningApp[] = [];
  let cdn: RunningCdn | null = null;
  const stop = async () => {
    await cdn?.stop();
    for (const app of apps.reverse()) await app.stop().catch(() => {});
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (const name of ["manager", "chat", "media", "web"]) {
      logs[name] = [];
      const mod = (await import(join(ROOT, "apps", name, "src", "main.ts"))) as { start: Start };
      apps.push(await mod.start({ env, logger: capturingLogger(logs[name] as string[], { svc: name }), db }));
    }
    cdn = await startCdn({
      edgePort: p.edge,
      media: [{ id: "media-1", port: p.media }],
      web: [p.web],
      manager: [p.manager],
      chat: [p.chat],
      accessLog: o.accessLog,
    });
    await untilAnswers(`http://127.0.0.1:${p.manager}/readyz`, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    webUrl: o.behindEdge ? edge : `http://127.0.0.1:${p.web}`,
    managerUrl: `http://127.0.0.1:${p.manager}`,
    mediaUrl: `http://127.0.0.1:${p.media}`,
    rtmpBase: `rtmp://127.0.0.1:${p.rtmp}/live`,
    cdn,
    logs,
    internalToken: env.INTERNAL_TOKEN,
    stop,
  };
}
