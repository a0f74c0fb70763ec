import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatClient, freshDb, internal, until } from "./chat-harness.ts";
import { type ChatProcess, spawnChatNode } from "./chat-nodes.ts";
import { freePort } from "./support/ports.ts";

// Redis goes away under two chat nodes and comes back. This suite runs its own redis-server (never the
// shared one on 6379), kills it by PID and restarts it on the same port.
let db: Awaited<ReturnType<typeof freshDb>>;
let redis: ReturnType<typeof Bun.spawn> | undefined;
let a: ChatProcess;
let b: ChatProcess;
let late: ChatProcess | undefined;
let common: Omit<Parameters<typeof spawnChatNode>[0], "id" | "logFile">;
let tag = "";
const port = freePort();

async function startRedis(): Promise<void> {
  redis = Bun.spawn(
    ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdout: "ignore", stderr: "ignore" },
  );
  await until(
    "redis-server answering",
    async () => {
      const probe = Bun.spawn(["redis-cli", "-p", String(port), "ping"], {
        stdout: "pipe",
        stderr: "ignore",
      });
      return (await new Response(probe.stdout).text()).trim() === "PONG";
    },
    10_000,
  );
}

async function killRedis(): Promise<void> {
  redis?.kill("SIGKILL");
  await redis?.exited;
  redis = undefined;
}

beforeAll(async () => {
  db = await freshDb();
  await startRedis();
  tag = randomBytes(4).toString("hex");
  common = {
    schema: db.schema,
    redisUrl: `redis://127.0.0.1:${port}`,
    prefix: `test:chat:${tag}`,
    env: { CHAT_RATE_MESSAGES: "1000", CHAT_RATE_BURST: "1000" },
  };
  [a, b] = await Promise.all([
    spawnChatNode({ id: "node-a", logFile: join(tmpdir(), `chat-restart-${tag}-a.log`), ...common }),
    spawnChatNode({ id: "node-b", logFile: join(tmpdir(), `chat-restart-${tag}-b.log`), ...common }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), late?.stop()]);
  await killRedis();
  await db?.drop();
});

describe("Redis restarting under two chat nodes", () => {
  test("each node serves its own clients while Redis is away and resubscribes when it returns", {
    timeout: 45_000,
  }, async () => {
    const room = `restart_${randomBytes(5).toString("hex")}`;
    expect((await internal(a.http, "POST", "/rooms", { publicId: room })).status).toBe(201);
    const onA = await ChatClient.join(a.ws, room, { name: "on_a" });
    const onB = await ChatClient.join(b.ws, room, { name: "on_b" });
    onA.send({ type: "send", text: "before" });
    await onB.next("message", 1);

    await killRedis();
    await until("both nodes see Redis gone", async () => {
      const [ha, hb] = await Promise.all([a.health(), b.health()]);
      return !ha.busConnected && !hb.busConnected;
    });
    onA.send({ type: "send", text: "during A" });
    onB.send({ type: "send", text: "during B" });
    await onA.next("message", 2);
    await onB.next("message", 2);
    expect(onA.texts()).toEqual(["before", "during A"]);
    expect(onB.texts()).toEqual(["before", "during B"]);

    // A node that starts while Redis is down still serves, and joins the others once Redis is back.
    late = await spawnChatNode({
      id: "node-late",
      logFile: join(tmpdir(), `chat-restart-${tag}-late.log`),
      waitForBus: false,
      ...common,
    });
    expect((await late.health()).busConnected).toBe(false);
    const onLate = await ChatClient.join(late.ws, room, { name: "on_late" });
    // Stay down long enough for several failed reconnects (the retry backoff grows to 2 s).
    await Bun.sleep(2500);
    await startRedis();
    await until(
      "both nodes back on Redis",
      async () => {
        const hs = await Promise.all([a.health(), b.health(), late?.health()]);
        return hs.every((h) => h?.busConnected);
      },
      15_000,
    );
    for (let i = 0; i < 20; i++) {
      onA.send({ type: "send", text: `after A${i}` });
      onB.send({ type: "send", text: `after B${i}` });
    }
    await onA.next("message", 42, 10_000);
    await onB.next("message", 42, 10_000);
    await onLate.next("message", 40, 10_000);
    await Bun.sleep(300); // a duplicate would show up by now
    const afterA = onA.texts().slice(2);
    const afterB = onB.texts().slice(2);
    expect(afterA.length).toBe(40);
    expect(afterA).toEqual(afterB);
    expect(onLate.texts()).toEqual(afterA);
    expect(afterA.filter((t) => t.startsWith("after A"))).toEqual(
      Array.from({ length: 20 }, (_, i) => `after A${i}`),
    );
    expect(afterA.filter((t) => t.startsWith("after B"))).toEqual(
      Array.from({ length: 20 }, (_, i) => `after B${i}`),
    );
    const metrics = await (await fetch(`${a.http}/metrics`)).text();
    expect(metrics).toMatch(/^chat_bus_connected 1$/m);
    onA.close();
    onB.close();
    onLate.close();
  });
});
