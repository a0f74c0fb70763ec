/**
 * The whole platform behind the real CDN, on one machine: manager, chat, media and web started in this process
 * (each through its own start(), as scripts/start.ts does) over a fresh Postgres schema, and infra/cdn.sh's
 * shield + edge in front. `behindEdge` decides where the pages point viewers: at the edge (the production path:
 * PUBLIC_HLS_BASE, MANAGER_URL and PUBLIC_CHAT_BASE on the edge's host) or straight at the apps (origin).
 * Used by the CDN e2e suites and bench/latency.
 */
import { type RunningCdn, startCdn } from "./cdn-harness.ts";
import { startAppsInProcess } from "./support/in-process-platform.ts";
import { freePort } from "./support/ports.ts";

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

export async function startCdnPlatform(o: {
  behindEdge: boolean;
  accessLog?: boolean;
  /** Extra settings for every app (e.g. HLS_LADDER). */
  env?: Record<string, string>;
}): Promise<CdnPlatform> {
  const edgePort = freePort();
  const edge = `http://127.0.0.1:${edgePort}`;
  const apps = await startAppsInProcess({
    label: "cdn-e2e",
    env: (p) => ({
      MANAGER_SSR_URL: `http://127.0.0.1:${p.manager}`,
      // The one setting that moves viewers to the CDN: every public base on the edge's host.
      ...(o.behindEdge
        ? {
            PUBLIC_WEB_URL: edge,
            MANAGER_URL: `${edge}/api`,
            PUBLIC_CHAT_BASE: `ws://127.0.0.1:${edgePort}`,
            PUBLIC_HLS_BASE: `${edge}/hls/media-1`,
            PUBLIC_WHIP_BASE: `${edge}/whip/media-1`,
          }
        : {}),
      ...o.env,
    }),
  });
  const p = apps.ports;
  let cdn: RunningCdn;
  try {
    cdn = await startCdn({
      edgePort,
      media: [{ id: "media-1", port: p.media }],
      web: [p.web],
      manager: [p.manager],
      chat: [p.chat],
      accessLog: o.accessLog,
    });
  } catch (err) {
    await apps.stop();
    throw err;
  }
  return {
    webUrl: o.behindEdge ? edge : `http://127.0.0.1:${p.web}`,
    managerUrl: `http://127.0.0.1:${p.manager}`,
    mediaUrl: `http://127.0.0.1:${p.media}`,
    rtmpBase: `rtmp://127.0.0.1:${p.rtmp}/live`,
    cdn,
    logs: apps.logs,
    internalToken: apps.internalToken,
    async stop() {
      await cdn.stop();
      await apps.stop();
    },
  };
}
