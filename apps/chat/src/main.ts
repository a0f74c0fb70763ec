import { randomBytes } from "node:crypto";
import { openDatabase } from "@hearth/db";
import {
  type AppStartOptions,
  createLogger,
  internalClient,
  type RunningApp,
  runStandalone,
} from "@hearth/server-kit";
import { createApp } from "./app.ts";
import { localBus } from "./bus.ts";
import { ChatHub } from "./chat-hub.ts";
import { parseEnv } from "./env.ts";
import { historyStore } from "./history-store.ts";
import { hmacIdentity } from "./identity.ts";
import { managerKeyVerifier } from "./key-verifier.ts";
import { ChatMetrics } from "./metrics.ts";
import { redisBus } from "./redis-bus.ts";
import type { ConnData } from "./room.ts";

/** Starts a chat node: the database (own or shared), the bus (Redis or in-process), the WebSocket server. */
export async function start(o: AppStartOptions): Promise<RunningApp> {
  const env = parseEnv(o.env);
  const ownDb = !o.db;
  const handle =
    o.db ??
    (await openDatabase({
      url: env.DATABASE_URL,
      dataDir: `${env.DATA_DIR}/pglite`,
      ...(env.DATABASE_SCHEMA ? { schema: env.DATABASE_SCHEMA } : {}),
    }));
  if (ownDb) await handle.migrate();

  const nodeId = env.CHAT_NODE_ID ?? `chat-${randomBytes(4).toString("hex")}`;
  const logger = o.logger.child({ node: nodeId });
  const metrics = new ChatMetrics();
  const store = historyStore(handle.db, logger);
  let ready: Promise<void> = Promise.resolve();
  const hub = new ChatHub({
    store,
    bus: (handler) => {
      if (!env.REDIS_URL) return localBus(handler);
      const bus = redisBus({ url: env.REDIS_URL, prefix: env.CHAT_REDIS_PREFIX, nodeId, logger, handler });
      ready = bus.ready;
      return bus;
    },
    verifier: managerKeyVerifier(
      internalClient({ service: "manager", baseUrl: env.MANAGER_INTERNAL_URL, token: env.INTERNAL_TOKEN }),
    ),
    identity: hmacIdentity(env.CHAT_IDENTITY_SECRET),
    metrics,
    logger,
    rate: {
      messages: env.CHAT_RATE_MESSAGES,
      windowSeconds: env.CHAT_RATE_WINDOW_S,
      burst: env.CHAT_RATE_BURST,
    },
    strikesPerMinute: env.CHAT_STRIKES_PER_MINUTE,
    backpressureLimit: env.CHAT_BACKPRESSURE_LIMIT,
    fanout: { batchMs: env.CHAT_FANOUT_BATCH_MS, batchMin: env.CHAT_FANOUT_BATCH_MIN },
    maxConnectionsPerIp: env.CHAT_MAX_CONNECTIONS_PER_IP,
  });
  // Serve even while Redis is away: the bus keeps retrying and the node serves its own clients meanwhile.
  await ready;

  const app = createApp({
    hub,
    metrics,
    logger,
    internalToken: env.INTERNAL_TOKEN,
    publicChatBase: env.PUBLIC_CHAT_BASE,
    trustedProxies: env.TRUSTED_PROXIES,
  });
  const server = Bun.serve<ConnData>({
    port: env.CHAT_PORT,
    hostname: env.BIND_HOST,
    fetch: (req, srv) => app.fetch(req, srv),
    websocket: hub.websocket(),
  });
  hub.attach(server);
  logger.info("chat node up", { port: server.port, bus: hub.bus.kind });
  return {
    name: "chat",
    urls: {
      WebSocket: `ws://localhost:${server.port}/rooms/<publicId>`,
      metrics: `http://localhost:${server.port}/metrics`,
    },
    async stop() {
      await hub.close();
      await server.stop(true);
      await store.close();
      if (ownDb) await handle.close();
    },
  };
}

// An unexpected rejection is logged and chat keeps serving: a restart would drop every open room socket.
if (import.meta.main)
  await runStandalone(
    start,
    // The internal token itself is redacted from every log line, whatever its shape.
    {
      env: process.env,
      logger: createLogger({ svc: "chat" }, { secrets: [process.env.INTERNAL_TOKEN ?? ""] }),
    },
    { uncaughtException: "exit", unhandledRejection: "log" },
  );
