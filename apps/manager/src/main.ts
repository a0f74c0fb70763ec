import { openDatabase } from "@hearth/db";
import {
  type AppStartOptions,
  createLogger,
  internalClient,
  type RunningApp,
  runStandalone,
} from "@hearth/server-kit";
import { createApp } from "./app.ts";
import { managerSafety } from "./creation-policy.ts";
import { parseEnv } from "./env.ts";
import { idleStreamSweeper } from "./idle-streams.ts";
import { mediaNodeStore } from "./media-nodes.ts";
import { httpChatService, placedMediaService } from "./services.ts";
import { streamStore } from "./stream-store.ts";
import { polledViewerCounts } from "./viewer-counts.ts";

/** Starts the manager: opens (or borrows) the database, migrates, serves the API. */
export async function start(o: AppStartOptions): Promise<RunningApp> {
  const env = parseEnv(o.env);
  const ownDb = !o.db;
  const handle = o.db ?? (await openDatabase({ url: env.DATABASE_URL, dataDir: `${env.DATA_DIR}/pglite` }));
  if (ownDb) await handle.migrate();

  const chat = httpChatService(
    internalClient({ service: "chat", baseUrl: env.CHAT_INTERNAL_URL, token: env.INTERNAL_TOKEN }),
  );
  const nodes = mediaNodeStore(handle.db, env.NODE_TIMEOUT_MS);
  const mediaClient = (baseUrl: string) =>
    internalClient({ service: "media", baseUrl, token: env.INTERNAL_TOKEN, timeoutMs: 5000 });
  const media = placedMediaService({
    nodes,
    single: mediaClient(env.MEDIA_INTERNAL_URL),
    clientFor: mediaClient,
  });
  const viewers = polledViewerCounts(chat, env.COUNTS_POLL_MS, o.logger);
  const app = createApp({
    store: streamStore(handle.db),
    nodes,
    media,
    chat,
    viewers,
    logger: o.logger,
    internalToken: env.INTERNAL_TOKEN,
    publicWebUrl: env.PUBLIC_WEB_URL,
    directoryCacheMs: env.DIRECTORY_CACHE_MS,
    safety: managerSafety(handle.db, {
      policy: env.STREAM_CREATION,
      adminToken: env.ADMIN_TOKEN,
      ratePerHour: env.CREATE_RATE_PER_HOUR,
      burst: env.CREATE_BURST,
      maxOpenPerClient: env.MAX_OPEN_STREAMS_PER_IP,
      maxOpen: env.MAX_OPEN_STREAMS,
      trustedProxies: env.TRUSTED_PROXIES,
      nodeTimeoutMs: env.NODE_TIMEOUT_MS,
      viewers,
      clock: Date.now,
    }),
  });
  const idle = idleStreamSweeper({
    db: handle.db,
    media,
    chat,
    logger: o.logger,
    clock: Date.now,
    ttlMs: env.STREAM_IDLE_TTL,
  });
  const server = Bun.serve({ port: env.MANAGER_PORT, hostname: env.BIND_HOST, fetch: app.fetch });
  viewers.start();
  // Streams on a node that stopped heart-beating show offline within NODE_TIMEOUT_MS + one sweep.
  const sweeper = setInterval(() => {
    nodes.sweep().catch((err) => o.logger.warn("node sweep failed", { err: (err as Error).message }));
  }, 2000);
  // A minute is fine-grained enough for a TTL counted in hours.
  idle.start(Math.min(60_000, env.STREAM_IDLE_TTL));
  return {
    name: "manager",
    urls: { API: `http://localhost:${server.port}`, OpenAPI: `http://localhost:${server.port}/openapi.json` },
    async stop() {
      viewers.stop();
      clearInterval(sweeper);
      idle.stop();
      await server.stop(true);
      if (ownDb) await handle.close();
    },
  };
}

if (import.meta.main)
  await runStandalone(start, { env: process.env, logger: createLogger({ svc: "manager" }) });
