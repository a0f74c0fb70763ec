/**
 * One host name for everything: the edge in front of the real manager (/api/), the real web tier (/) and two
 * real chat nodes sharing rooms through Redis (/rooms/, WebSocket upgrade).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DatabaseHandle } from "@hearth/db";
import { createLogger, type RunningApp } from "@hearth/server-kit";
import { start as startWeb } from "../../apps/web/src/main.ts";
import { type RunningCdn, startCdn } from "./cdn-harness.ts";
import {
  ChatClient,
  chatNode,
  freshDb,
  INTERNAL_TOKEN,
  insertStream,
  internal,
  manager,
  until,
} from "./chat-harness.ts";
import { freePort } from "./support/ports.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const portOf = (url: string) => Number(new URL(url).port);

let db: { handle: DatabaseHandle; drop(): Promise<void> };
let mgr: { app: RunningApp; url: string };
let chats: Array<{ app: RunningApp; http: string; ws: string }> = [];
let web: RunningApp;
let cdn: RunningCdn;

beforeAll(async () => {
  db = await freshDb();
  mgr = await manager(db.handle);
  const prefix = `hearth:cdn-test:${crypto.randomUUID().slice(0, 8)}`;
  chats = [
    await chatNode(db.handle, { REDIS_URL, CHAT_REDIS_PREFIX: prefix, CHAT_NODE_ID: "chat-a" }),
    await chatNode(db.handle, { REDIS_URL, CHAT_REDIS_PREFIX: prefix, CHAT_NODE_ID: "chat-b" }),
  ];
  const edgePort = freePort();
  web = await startWeb({
    env: {
      WEB_PORT: "0",
      BIND_HOST: "127.0.0.1",
      MANAGER_URL: `http://127.0.0.1:${edgePort}/api`,
      MANAGER_SSR_URL: mgr.url,
    },
    logger: createLogger({}, { silent: true }),
  });
  cdn = await startCdn({
    edgePort,
    // Nothing under /hls/ here; cdn-cache and cdn-media cover it.
    media: [{ id: "media-1", port: freePort() }],
    manager: [portOf(mgr.url)],
    web: [portOf((web.urls.Directory ?? "").replace("localhost", "127.0.0.1"))],
    chat: chats.map((c) => portOf(c.http)),
    // One worker: its round-robin sends the first socket to chat-a and the second to chat-b.
    workers: 1,
  });
}, 60_000);

afterAll(async () => {
  await cdn?.stop();
  await web?.stop();
  for (const c of chats) await c.app.stop();
  await mgr?.app.stop();
  await db?.drop();
});

async function connections(http: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return Number(/^chat_connections (\d+)$/m.exec(text)?.[1] ?? -1);
}

describe("the edge proxies every tier", () => {
  test("/api/ is the manager with /api stripped", async () => {
    const { publicId } = await insertStream(db.handle);
    const res = await fetch(`${cdn.edge}/api/stream/${publicId}`);
    expect(res.status).toBe(200);
    const direct = await (await fetch(`${mgr.url}/stream/${publicId}`)).json();
    expect(await res.json()).toEqual(direct);
    const list = await fetch(`${cdn.edge}/api/streams`);
    expect(list.status).toBe(200);
    expect(JSON.stringify(await list.json())).toContain(publicId);
    // The manager's own errors come through untouched.
    const missing = await fetch(`${cdn.edge}/api/stream/nosuchstream1`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  test("internal routes are not reachable through the edge, even with the token", async () => {
    const init = {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ key: "live_nothing" }),
    };
    expect((await fetch(`${mgr.url}/internal/keys/verify`, init)).status).toBe(403);
    expect((await fetch(`${cdn.edge}/api/internal/keys/verify`, init)).status).toBe(404);
    expect((await fetch(`${cdn.edge}/internal/rooms/counts`, { headers: init.headers })).status).toBe(404);
  });

  test("/ is the web tier, and its pages point the browser at /api on the same host", async () => {
    const res = await fetch(`${cdn.edge}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain(`${cdn.edge}/api`);
    expect(res.headers.get("x-cache-status")).toBeNull();
  });

  test("chat over WebSocket through the edge, across two chat nodes sharing a room", async () => {
    const publicId = `room_${crypto.randomUUID().slice(0, 12)}`;
    expect((await internal(chats[0]?.http ?? "", "POST", "/rooms", { publicId })).status).toBe(201);
    const wsEdge = cdn.edge.replace("http://", "ws://");
    const ana = await ChatClient.join(wsEdge, publicId, { name: "ana" });
    const bo = await ChatClient.join(wsEdge, publicId, { name: "bo" });
    // One socket on each node: the message below can only arrive through Redis.
    await until("one socket per chat node", async () => {
      const counts = await Promise.all(chats.map((c) => connections(c.http)));
      return counts[0] === 1 && counts[1] === 1;
    });
    ana.send({ type: "send", text: "hello from node a" });
    bo.send({ type: "send", text: "hello from node b" });
    await ana.next("message", 2);
    await bo.next("message", 2);
    expect(ana.texts().sort()).toEqual(["hello from node a", "hello from node b"]);
    expect(bo.texts().sort()).toEqual(ana.texts().sort());
    ana.close();
    bo.close();
    await Promise.all([ana.closed, bo.closed]);
    await until("sockets closed on both nodes", async () => {
      const counts = await Promise.all(chats.map((c) => connections(c.http)));
      return counts[0] === 0 && counts[1] === 0;
    });
  });

  test("the /rooms/ location lets a socket stay quiet for an hour (read from the rendered config)", async () => {
    // Checked on the rendered config rather than by waiting a minute in a test.
    const conf = await Bun.file(`${cdn.dir}/edge/conf/nginx.conf`).text();
    const rooms = conf.slice(conf.indexOf("location /rooms/"));
    expect(rooms.slice(0, rooms.indexOf("}"))).toMatch(/proxy_read_timeout 1h;/);
  });
});
