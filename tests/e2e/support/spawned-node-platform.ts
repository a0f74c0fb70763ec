/**
 * The platform with its media node as its own process: the real manager and chat started in this process (their
 * own start(), over a fresh Postgres schema) and one media node spawned (media-node-process.ts), so the node's
 * output and /proc entries are its own. Used by the secret scan and bench/abuse.
 */
import { randomBytes } from "node:crypto";
import { type DatabaseHandle, mediaNodes, openDatabase } from "@hearth/db";
import type { Logger, RunningApp } from "@hearth/server-kit";
import { start as startChat } from "../../../apps/chat/src/main.ts";
import { start as startManager } from "../../../apps/manager/src/main.ts";
import { type MediaNodeProcess, spawnMediaNode } from "./media-node-process.ts";
import { freePort } from "./ports.ts";
import { until } from "./until.ts";

const DB_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface SpawnedNodePlatform {
  db: DatabaseHandle;
  managerUrl: string;
  chatPort: number;
  node: MediaNodeProcess;
  /** Stops the node, then chat and the manager, and closes the database. */
  stop(): Promise<void>;
}

/** Starts manager + chat here and the media node `nodeId` as a process, and waits until the node registered. */
export async function startSpawnedNodePlatform(o: {
  nodeId: string;
  token: string;
  logger: Logger;
  /** Database connections for manager + chat. */
  dbMax: number;
}): Promise<SpawnedNodePlatform> {
  const db = await openDatabase({ url: DB_URL, schema: `t_${randomBytes(6).toString("hex")}`, max: o.dbMax });
  await db.migrate();
  const managerPort = freePort();
  const chatPort = freePort();
  const managerUrl = `http://127.0.0.1:${managerPort}`;
  const common = {
    INTERNAL_TOKEN: o.token,
    BIND_HOST: "127.0.0.1",
    MANAGER_INTERNAL_URL: managerUrl,
    CHAT_INTERNAL_URL: `http://127.0.0.1:${chatPort}`,
    // Nobody listens here: the registered node is where streams go.
    MEDIA_INTERNAL_URL: `http://127.0.0.1:${freePort()}`,
  };
  const apps: RunningApp[] = [];
  let node: MediaNodeProcess | undefined;
  const stop = async () => {
    await node?.stop();
    for (const app of apps.reverse()) await app.stop().catch(() => {});
    await db.close();
  };
  try {
    apps.push(
      await startManager({ env: { ...common, MANAGER_PORT: String(managerPort) }, logger: o.logger, db }),
    );
    apps.push(await startChat({ env: { ...common, CHAT_PORT: String(chatPort) }, logger: o.logger, db }));
    node = await spawnMediaNode({
      id: o.nodeId,
      managerUrl,
      token: o.token,
      edge: "http://127.0.0.1:9",
      env: { X264_PRESET: "ultrafast" },
    });
    await until(
      "the media node registered",
      15_000,
      async () => (await db.db.select().from(mediaNodes)).length === 1,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { db, managerUrl, chatPort, node, stop };
}
