import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RoomCounts } from "@hearth/contracts";
import { createApp } from "./app.ts";
import { testHub } from "./test-hub.ts";

const TOKEN = "unit-test-internal-token";
let t: Awaited<ReturnType<typeof testHub>>;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  t = await testHub();
  app = createApp({
    hub: t.hub,
    metrics: t.metrics,
    logger: t.logger,
    internalToken: TOKEN,
    publicChatBase: "wss://chat.example.org",
  });
});
afterAll(async () => {
  await t.hub.close();
  await t.handle.close();
});

const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

describe("chat HTTP side", () => {
  test("POST /internal/rooms opens a room and answers its chatUrl; it is idempotent", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await app.request("/internal/rooms", {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ publicId: "abcdefgh12" }),
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ chatUrl: "wss://chat.example.org/rooms/abcdefgh12" });
    }
    expect(await t.store.room("abcdefgh12")).toEqual({ slowModeSeconds: 0, bans: new Map() });
  });

  test("the internal API refuses missing or wrong tokens and bad bodies", async () => {
    expect((await app.request("/internal/rooms/counts")).status).toBe(401);
    const wrong = await app.request("/internal/rooms/counts", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(403);
    const bad = await app.request("/internal/rooms", {
      method: "POST",
      headers: auth,
      body: '{"publicId":"x"}',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe("invalid_input");
  });

  test("DELETE /internal/rooms/:publicId closes the room", async () => {
    await app.request("/internal/rooms", {
      method: "POST",
      headers: auth,
      body: '{"publicId":"closeme123"}',
    });
    const res = await app.request("/internal/rooms/closeme123", { method: "DELETE", headers: auth });
    expect(res.status).toBe(204);
    expect(await t.store.room("closeme123")).toBeUndefined();
  });

  test("counts, metrics and health answer", async () => {
    const counts = RoomCounts.parse(
      await (await app.request("/internal/rooms/counts", { headers: auth })).json(),
    );
    expect(counts).toEqual({ rooms: {} });
    const metrics = await (await app.request("/metrics")).text();
    expect(metrics).toContain("# TYPE chat_messages_out_total counter");
    expect(metrics).toMatch(/^chat_bus_connected 1$/m);
    expect(await (await app.request("/healthz")).json()).toMatchObject({ ok: true, bus: "local" });
  });

  test("a room URL without a WebSocket upgrade answers 426; a bad id 400; unknown paths 404", async () => {
    const res = await app.request("/rooms/abcdefgh12");
    expect(res.status).toBe(426);
    expect(res.headers.get("upgrade")).toBe("websocket");
    expect((await app.request("/rooms/bad!id")).status).toBe(400);
    expect((await (await app.request("/nope")).json()).error.code).toBe("not_found");
  });

  test("a connection that cannot be admitted because the database is away gets 503, not 500", async () => {
    const broken = await testHub();
    await broken.handle.close();
    const brokenApp = createApp({
      hub: broken.hub,
      metrics: broken.metrics,
      logger: broken.logger,
      internalToken: TOKEN,
      publicChatBase: "ws://x",
    });
    // The second argument of fetch is Bun's server; the database fails before it is used.
    const server = { upgrade: () => false };
    const res = await brokenApp.request("/rooms/abcdefgh12", { headers: { upgrade: "websocket" } }, server);
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe("unavailable");
  });
});
