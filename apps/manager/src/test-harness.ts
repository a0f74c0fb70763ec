import { randomBytes } from "node:crypto";
import { type DatabaseHandle, openDatabase } from "@hearth/db";
import { createLogger, type Logger } from "@hearth/server-kit";
import { createApp } from "./app.ts";
import { managerSafety, type SafetyOptions } from "./creation-policy.ts";
import { mediaNodeStore } from "./media-nodes.ts";
import type { ChatService, MediaService } from "./services.ts";
import { streamStore } from "./stream-store.ts";

/** Postgres for tests: the machine's real server unless TEST_DATABASE_URL says otherwise. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const INTERNAL = "internal-token-for-tests-0123456789";
export const ADMIN = "admin-token-for-tests-0123456789";

/** A fresh database of the given kind: a new schema on real Postgres, or an in-memory PGlite. */
export async function freshDatabase(kind: "postgres" | "pglite"): Promise<DatabaseHandle> {
  const handle =
    kind === "postgres"
      ? await openDatabase({ url: TEST_DATABASE_URL, schema: `t_${randomBytes(6).toString("hex")}`, max: 4 })
      : await openDatabase({ dataDir: "memory://" });
  await handle.migrate();
  return handle;
}

/**
 * Stand-ins for the media and chat services, which run in their own processes: they record what the
 * manager asked and can be told to be unreachable. The real ones are exercised in tests/e2e.
 */
export function serviceDoubles() {
  const calls: string[] = [];
  const state = { mediaDown: false, chatDown: false };
  const media: MediaService = {
    async create(publicId) {
      calls.push(`media.create ${publicId}`);
      if (state.mediaDown) throw new Error("media unreachable");
      return {
        node: null,
        rtmpServer: "rtmp://localhost:1935/live",
        whipUrl: `http://localhost:8083/whip/${publicId}`,
        hlsUrl: `http://localhost:8083/hls/${publicId}/master.m3u8`,
      };
    },
    async remove(publicId) {
      calls.push(`media.remove ${publicId}`);
    },
  };
  const chat: ChatService = {
    async create(publicId) {
      calls.push(`chat.create ${publicId}`);
      if (state.chatDown) throw new Error("chat unreachable");
      return { chatUrl: `ws://localhost:8082/rooms/${publicId}` };
    },
    async remove(publicId) {
      calls.push(`chat.remove ${publicId}`);
    },
    async counts() {
      return { rooms: {} };
    },
  };
  return { media, chat, calls, state };
}

/** The settings tests start from: creation open, limits far away, no trusted proxy; override per test. */
export function testSafety(overrides: Partial<SafetyOptions> = {}): SafetyOptions {
  return {
    policy: "open",
    adminToken: ADMIN,
    ratePerHour: 1_000_000,
    burst: 1_000_000,
    maxOpenPerClient: 1_000_000,
    maxOpen: 1_000_000,
    trustedProxies: "",
    nodeTimeoutMs: 6000,
    viewers: { get: () => 3 },
    clock: Date.now,
    ...overrides,
  };
}

/** A manager app over a real database with service doubles. */
export function managerFor(
  handle: DatabaseHandle,
  directoryCacheMs = 0,
  safety: Partial<SafetyOptions> = {},
  logger: Logger = createLogger({}, { silent: true }),
) {
  const services = serviceDoubles();
  const guard = managerSafety(handle.db, testSafety(safety));
  const app = createApp({
    store: streamStore(handle.db),
    nodes: mediaNodeStore(handle.db, 6000),
    media: services.media,
    chat: services.chat,
    viewers: { get: () => 3 },
    logger,
    internalToken: INTERNAL,
    publicWebUrl: "http://localhost:8080",
    directoryCacheMs,
    safety: guard,
  });
  return { app, safety: guard, ...services };
}
