/** Chat nodes as separate processes (`bun apps/chat/src/main.ts`), the way a scaled-out deployment runs them. */
import { join } from "node:path";
import { INTERNAL_TOKEN, PG_URL, until } from "./chat-harness.ts";
import { freePort } from "./support/ports.ts";

const MAIN = join(import.meta.dir, "../../apps/chat/src/main.ts");

export interface ChatProcess {
  id: string;
  http: string;
  ws: string;
  proc: ReturnType<typeof Bun.spawn>;
  /** GET /healthz. */
  health(): Promise<{ busConnected: boolean; bus: string }>;
  stop(): Promise<void>;
}

/** Spawns one chat node on a free port and waits until it answers and its bus is connected. */
export async function spawnChatNode(o: {
  id: string;
  schema: string;
  redisUrl: string;
  prefix: string;
  logFile: string;
  env?: Record<string, string>;
  /** Wait for the bus too (default); false: only for the node to answer. */
  waitForBus?: boolean;
}): Promise<ChatProcess> {
  const port = freePort();
  const proc = Bun.spawn(["bun", MAIN], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      CHAT_PORT: String(port),
      BIND_HOST: "127.0.0.1",
      INTERNAL_TOKEN,
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: o.schema,
      REDIS_URL: o.redisUrl,
      CHAT_REDIS_PREFIX: o.prefix,
      CHAT_NODE_ID: o.id,
      ...o.env,
    },
    stdout: "ignore",
    stderr: Bun.file(o.logFile),
  });
  const http = `http://127.0.0.1:${port}`;
  const node: ChatProcess = {
    id: o.id,
    http,
    ws: `ws://127.0.0.1:${port}`,
    proc,
    async health() {
      return (await (await fetch(`${http}/healthz`)).json()) as { busConnected: boolean; bus: string };
    },
    async stop() {
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(killer);
    },
  };
  try {
    await until(
      `chat node ${o.id} up`,
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`chat node ${o.id} exited (${proc.exitCode}); see ${o.logFile}`);
        const h = await node.health().catch(() => undefined);
        return h !== undefined && (o.waitForBus === false || h.busConnected);
      },
      20_000,
    );
  } catch (err) {
    await node.stop();
    throw err;
  }
  return node;
}
