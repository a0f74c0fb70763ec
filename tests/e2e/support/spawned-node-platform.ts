/**
 * The platform with its media node as its own process: the real manager and chat started in this process (their
 * own start(), over a fresh Postgres schema) and one media node spawned (media-node-process.ts), so the node's
 * output and /proc entries are its own. Used by the secret scan and bench/abuse.
 */
import { type DatabaseHandle, mediaNodes } from "@hearth/db";
import type { Logger } from "@hearth/server-kit";
import { startControlPlane } from "./control-plane.ts";
import { type MediaNodeProcess, spawnMediaNode } from "./media-node-process.ts";
import { until } from "./until.ts";

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
  const cp = await startControlPlane({ token: o.token, logger: o.logger, dbMax: o.dbMax });
  const { db, managerUrl, chatPort } = cp;
  let node: MediaNodeProcess | undefined;
  const stop = async () => {
    await node?.stop();
    await cp.stop();
  };
  try {
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
