/**
 * The platform's control plane for media nodes run as their own processes: the real manager and chat started in
 * this process (their own start()), over a fresh Postgres schema.
 */
import { randomBytes } from "node:crypto";
import { type DatabaseHandle, openDatabase } from "@hearth/db";
import type { Logger, RunningApp } from "@hearth/server-kit";
import { start as startChat } from "../../../apps/chat/src/main.ts";
import { start as startManager } from "../../../apps/manager/src/main.ts";
import { freePort } from "./ports.ts";

const DB_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface ControlPlane {
  db: DatabaseHandle;
  managerUrl: string;
  managerPort: number;
  chatPort: number;
  /** Stops chat, then the manager, and closes the database (stop the nodes first). */
  stop(): Promise<void>;
}

/** Starts manager + chat sharing `token`; `env` adds to both apps' env, `managerEnv` to the manager's. */
export async function startControlPlane(o: {
  token: string;
  logger: Logger;
  /** Database connections for manager + chat. */
  dbMax: number;
  env?: Record<string, string>;
  managerEnv?: Record<string, string>;
}): Promise<ControlPlane> {
  const db = await openDatabase({ url: DB_URL, schema: `t_${randomBytes(6).toString("hex")}`, max: o.dbMax });
  await db.migrate();
  const managerPort = freePort();
  const chatPort = freePort();
  const managerUrl = `http://127.0.0.1:${managerPort}`;
  const common = {
    ...o.env,
    INTERNAL_TOKEN: o.token,
    BIND_HOST: "127.0.0.1",
    MANAGER_INTERNAL_URL: managerUrl,
    CHAT_INTERNAL_URL: `http://127.0.0.1:${chatPort}`,
    // Nobody listens here: streams go to the nodes that register (the manager must not fall back to one node).
    MEDIA_INTERNAL_URL: `http://127.0.0.1:${freePort()}`,
  };
  const apps: RunningApp[] = [];
  const stop = async () => {
    for (const app of apps.reverse()) await app.stop().catch(() => {});
    await db.close();
  };
  try {
    const managerEnv = { ...common, ...o.managerEnv, MANAGER_PORT: String(managerPort) };
    apps.push(await startManager({ env: managerEnv, logger: o.logger, db }));
    apps.push(await startChat({ env: { ...common, CHAT_PORT: String(chatPort) }, logger: o.logger, db }));
  } catch (err) {
    await stop();
    throw err;
  }
  return { db, managerUrl, managerPort, chatPort, stop };
}
