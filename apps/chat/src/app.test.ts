import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CHAT_REPLAY_PAGE, ChatReplay, RoomCounts } from "@hearth/contracts";
import { testHub } from "../testing/test-hub.ts";
import { createApp } from "./app.ts";
import { trustedProxies } from "./client-ip.ts";

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
    trustedProxies: trustedProxies("127.0.0.1"),
  });
  // An in-memory PGlite migrates in a second alone, far longer on a machine busy with other suites.
}, 60_000);
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
      trustedProxies: trustedProxies(""),
    });
    // The second argument of fetch is Bun's server; the database fails before it is used.
    const server = { upgrade: () => false };
    const res = await brokenApp.request("/rooms/abcdefgh12", { headers: { upgrade: "websocket" } }, server);
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe("unavailable");
  });
});

describe("the upgrade: identity out of the URL, connections per address capped", () => {
  /** A stand-in for Bun's server: records what the app upgraded with; the socket never opens. */
  function fakeServer(address: string) {
    const upgrades: Array<{ data: { userId: string; ip: string }; headers?: Record<string, string> }> = [];
    return {
      upgrades,
      requestIP: () => ({ address, family: "IPv4", port: 1 }),
      upgrade(_req: Request, o: (typeof upgrades)[number]) {
        upgrades.push(o);
        return true;
      },
    };
  }

  // One hub with a cap of 2 for these tests (a PGlite start is slow on a busy machine); each uses its own addresses.
  let c: Awaited<ReturnType<typeof capped>>;
  beforeAll(async () => {
    c = await capped(2);
  }, 60_000);
  afterAll(async () => {
    await c.hub.close();
    await c.handle.close();
  });

  async function capped(limit: number) {
    const h = await testHub(undefined, { maxConnectionsPerIp: limit });
    await h.hub.createRoom("caproom123");
    const a = createApp({
      hub: h.hub,
      metrics: h.metrics,
      logger: h.logger,
      internalToken: TOKEN,
      publicChatBase: "ws://x",
      trustedProxies: trustedProxies("127.0.0.1"),
    });
    return { ...h, app: a };
  }

  test("the identity offered as a subprotocol is used and the protocol selected; ?identity= is ignored", async () => {
    await app.request("/internal/rooms", {
      method: "POST",
      headers: auth,
      body: '{"publicId":"idroom1234"}',
    });
    const issued = t.hub.o.identity.issue();
    const server = fakeServer("203.0.113.5");
    const ws = { upgrade: "websocket" };
    const viaProtocol = await app.request(
      "/rooms/idroom1234",
      { headers: { ...ws, "sec-websocket-protocol": `hearth-chat.v1, hearth-identity.${issued.token}` } },
      server,
    );
    expect(viaProtocol.status).toBe(200);
    expect(server.upgrades[0]?.data.userId).toBe(issued.userId);
    expect(server.upgrades[0]?.headers).toEqual({ "Sec-WebSocket-Protocol": "hearth-chat.v1" });
    await app.request(
      `/rooms/idroom1234?identity=${encodeURIComponent(issued.token)}`,
      { headers: ws },
      server,
    );
    expect(server.upgrades[1]?.data.userId).not.toBe(issued.userId);
    expect(server.upgrades[1]?.headers).toEqual({});
  });

  test("the N+1th connection from one address gets 429 with Retry-After, counted in /metrics", async () => {
    const server = fakeServer("203.0.113.7");
    const open = () => c.app.request("/rooms/caproom123", { headers: { upgrade: "websocket" } }, server);
    expect((await open()).status).toBe(200);
    expect((await open()).status).toBe(200);
    const refused = await open();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect((await refused.json()).error.code).toBe("too_many_connections");
    expect(c.hub.cap.held("203.0.113.7")).toBe(2);
    // Another address is not affected.
    expect(
      (
        await c.app.request(
          "/rooms/caproom123",
          { headers: { upgrade: "websocket" } },
          fakeServer("203.0.113.8"),
        )
      ).status,
    ).toBe(200);
    const metrics = await (await c.app.request("/metrics")).text();
    expect(metrics).toMatch(/^chat_connections_refused_total\{reason="per_ip_limit"\} 1$/m);
    expect(metrics).toMatch(/^chat_client_addresses 2$/m);
  });

  test("behind a trusted proxy the forwarded address counts; an untrusted peer cannot forge one", async () => {
    const edge = fakeServer("127.0.0.1");
    const viaEdge = (xff: string) =>
      c.app.request("/rooms/caproom123", { headers: { upgrade: "websocket", "x-forwarded-for": xff } }, edge);
    expect((await viaEdge("198.51.100.1")).status).toBe(200);
    expect((await viaEdge("198.51.100.1")).status).toBe(200);
    expect((await viaEdge("198.51.100.2")).status).toBe(200);
    expect((await viaEdge("198.51.100.1")).status).toBe(429);
    expect(c.hub.cap.held("127.0.0.1")).toBe(0);
    const direct = fakeServer("203.0.113.9");
    const forged = (xff: string) =>
      c.app.request(
        "/rooms/caproom123",
        { headers: { upgrade: "websocket", "x-forwarded-for": xff } },
        direct,
      );
    expect((await forged("1.1.1.1")).status).toBe(200);
    expect((await forged("2.2.2.2")).status).toBe(200);
    expect((await forged("3.3.3.3")).status).toBe(429);
  });

  test("a slot is given back when an upgrade does not happen", async () => {
    const failing = { requestIP: () => ({ address: "203.0.113.10" }), upgrade: () => false };
    for (let i = 0; i < 3; i++) {
      const res = await c.app.request("/rooms/caproom123", { headers: { upgrade: "websocket" } }, failing);
      expect(res.status).toBe(400);
    }
    expect(c.hub.cap.held("203.0.113.10")).toBe(0);
  });
});

describe("chat replay over HTTP", () => {
  const T0 = 1_790_000_000_000;
  const replay = (room: string, qs: string) => app.request(`/rooms/${room}/replay?${qs}`);

  async function openRoom(publicId: string) {
    const res = await app.request("/internal/rooms", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ publicId }),
    });
    expect(res.status).toBe(201);
  }

  /** `n` messages one second apart from T0 (ids prefixed so rooms never share one), written to the database. */
  async function fill(publicId: string, n: number, userId = "user00000001") {
    for (let i = 0; i < n; i++) {
      t.store.append(publicId, {
        id: `${publicId}-${i}`,
        userId,
        name: "ana",
        text: `hi ${i}`,
        ts: T0 + i * 1000,
      });
    }
    await t.store.flush();
  }

  test("answers ChatReplay in server-time order, CORS open, never cached, pages of CHAT_REPLAY_PAGE", async () => {
    await openRoom("replayapp1");
    await fill("replayapp1", 1200);
    const ids: string[] = [];
    let qs = `from=${T0}`;
    let pages = 0;
    for (;;) {
      const res = await replay("replayapp1", qs);
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("cache-control")).toBe("no-store");
      const page = ChatReplay.parse(await res.json());
      pages++;
      expect(page.messages.length).toBeLessThanOrEqual(CHAT_REPLAY_PAGE);
      ids.push(...page.messages.map((m) => m.id));
      if (!page.next) break;
      qs = `from=${T0}&after=${encodeURIComponent(page.next)}`;
    }
    expect(pages).toBe(3);
    expect(ids).toEqual([...Array(1200).keys()].map((i) => `replayapp1-${i}`));
  });

  test("from and to bound the range (inclusive); to defaults to now", async () => {
    await openRoom("replayapp2");
    await fill("replayapp2", 10);
    const res = await replay("replayapp2", `from=${T0 + 2000}&to=${T0 + 5000}`);
    const page = ChatReplay.parse(await res.json());
    expect(page.messages.map((m) => m.ts)).toEqual([2, 3, 4, 5].map((i) => T0 + i * 1000));
    expect(page.next).toBeNull();
    const open = ChatReplay.parse(await (await replay("replayapp2", `from=${T0 + 8000}`)).json());
    expect(open.messages.map((m) => m.text)).toEqual(["hi 8", "hi 9"]);
  });

  test("a closed room (the stream ended) still replays; a room that never existed is 404", async () => {
    await openRoom("replayapp3");
    await fill("replayapp3", 3);
    expect(
      (await app.request("/internal/rooms/replayapp3", { method: "DELETE", headers: auth })).status,
    ).toBe(204);
    const page = ChatReplay.parse(await (await replay("replayapp3", `from=${T0}`)).json());
    expect(page.messages.length).toBe(3);
    const unknown = await replay("neverthere", `from=${T0}`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe("room_not_found");
  });

  test("bad parameters are 400 with a JSON error the browser can read", async () => {
    await openRoom("replayapp4");
    const bad = [
      "",
      "to=5",
      "from=abc",
      "from=-5",
      "from=1.5",
      "from=99999999999999999999",
      "from=10&to=5",
      "from=10&to=x",
      "from=10&after=nonsense",
      `from=10&after=${"A".repeat(100)}`,
      `from=10&after=${Buffer.from("r1.5.x").toString("base64url")}`,
    ];
    for (const qs of bad) {
      const res = await replay("replayapp4", qs);
      expect(res.status, qs).toBe(400);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      const body = await res.json();
      expect(body.error.code).toBe("invalid_input");
      expect(typeof body.error.message).toBe("string");
    }
    expect((await replay("bad!id", "from=1")).status).toBe(400);
    const preflight = await app.request("/rooms/replayapp4/replay?from=1", {
      method: "OPTIONS",
      headers: { origin: "https://web.example.org", "access-control-request-method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });

  test("no identity token in a replay answer: messages carry only the public userId", async () => {
    await openRoom("replayapp5");
    const who = t.hub.o.identity.issue();
    await fill("replayapp5", 2, who.userId);
    const text = await (await replay("replayapp5", "from=0")).text();
    const page = ChatReplay.parse(JSON.parse(text));
    expect(page.messages.every((m) => m.userId === who.userId)).toBe(true);
    expect(Object.keys(page.messages[0] ?? {}).sort()).toEqual(["id", "name", "text", "ts", "userId"]);
    expect(text).not.toContain(who.token);
    // The token's signature part (after the userId) is what proves ownership; it never shows either.
    expect(text).not.toContain(who.token.slice(who.userId.length + 1));
  });

  test("DELETE /internal/rooms/:publicId/messages deletes the range (internal token only) → 204", async () => {
    await openRoom("replayapp6");
    await fill("replayapp6", 10);
    const del = (qs: string, headers: Record<string, string> = auth) =>
      app.request(`/internal/rooms/replayapp6/messages?${qs}`, { method: "DELETE", headers });
    expect((await del(`from=${T0}&to=${T0 + 9000}`, {})).status).toBe(401);
    for (const qs of ["", `from=${T0}`, `to=${T0}`, `from=${T0 + 5}&to=${T0}`, "from=a&to=b"]) {
      const res = await del(qs);
      expect(res.status, qs).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_input");
    }
    expect((await del(`from=${T0 + 3000}&to=${T0 + 6000}`)).status).toBe(204);
    const page = ChatReplay.parse(await (await replay("replayapp6", `from=${T0}`)).json());
    expect(page.messages.map((m) => m.text)).toEqual(["hi 0", "hi 1", "hi 2", "hi 7", "hi 8", "hi 9"]);
    // Nothing left in the range: still 204.
    expect((await del(`from=${T0 + 3000}&to=${T0 + 6000}`)).status).toBe(204);
  });
});
