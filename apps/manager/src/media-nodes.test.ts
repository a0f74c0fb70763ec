import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NodeBudget } from "@hearth/contracts";
import type { DatabaseHandle } from "@hearth/db";
import { internalClient } from "@hearth/server-kit";
import { Hono } from "hono";
import { freshDatabase, INTERNAL, managerFor, manualClock } from "../testing/harness.ts";
import { nodeHeartbeat, requestsTo } from "../testing/requests.ts";
import { placedMediaService } from "./services.ts";

/** A media node's internal API as the manager calls it, answered in process (no port). */
function fakeMediaNodes(calls: string[]) {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.post("/internal/streams", async (c) => {
    const { publicId } = (await c.req.json()) as { publicId: string };
    const host = new URL(c.req.url).hostname.split(".")[0] ?? "";
    calls.push(`${host} ${publicId}`);
    return c.json({
      rtmpServer: `rtmp://${host}.example:1935/live`,
      whipUrl: `http://${host}.example/whip/${publicId}`,
      hlsUrl: `http://cdn.example/hls/${host}/${publicId}/master.m3u8`,
    });
  });
  const fetch = ((input: string | URL | Request, init?: RequestInit) =>
    app.request(input instanceof Request ? input : String(input), init)) as typeof globalThis.fetch;
  return (baseUrl: string) => internalClient({ service: "media", baseUrl, token: INTERNAL, fetch });
}

describe.each(["postgres", "pglite"] as const)("media node registry on %s", (kind) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshDatabase(kind);
  });
  afterAll(() => handle.close());

  test("placement by budget: room for a full ladder first, then most free budget; readiness follows the nodes", async () => {
    const clock = manualClock();
    const calls: string[] = [];
    const base = managerFor(handle, { now: clock.now });
    const clientFor = fakeMediaNodes(calls);
    const media = placedMediaService({
      nodes: base.nodes,
      single: clientFor("http://single.internal"),
      clientFor,
    });
    const { app, nodes } = managerFor(handle, { now: clock.now, override: { media } });
    const { req, internal } = requestsTo(app);
    const create = async () => {
      const res = await req("/start_stream?name=placed", { method: "POST" });
      expect(res.status).toBe(201);
      return (await res.json()) as { publicId: string; hlsUrl: string };
    };

    // "full": room for one more full ladder (100 units); "busy": more free budget in total is not needed.
    const beat = async (id: string, budget: NodeBudget) =>
      (await internal("/nodes/heartbeat", nodeHeartbeat(id, budget))).status;
    expect(await beat("busy", { total: 400, used: 350, fullLadder: 100, maxStreams: 8 })).toBe(204);
    expect(await beat("roomy", { total: 400, used: 200, fullLadder: 100, maxStreams: 8 })).toBe(204);
    const first = await create();
    expect(first.hlsUrl).toBe(`http://cdn.example/hls/roomy/${first.publicId}/master.m3u8`);
    // The first stream's publisher is on its way to roomy (a full ladder spoken for): one more still fits there.
    const second = await create();
    expect(second.hlsUrl).toContain("/hls/roomy/");
    // Now roomy has 200 - 2*100 = 0 spare, busy 50: no node has room for a full ladder; most free budget wins.
    const third = await create();
    expect(third.hlsUrl).toContain("/hls/busy/");

    // A node at its stream limit is passed over even with budget to spare.
    expect(await beat("capped", { total: 1000, used: 0, fullLadder: 100, maxStreams: 1 })).toBe(204);
    const fourth = await create();
    expect(fourth.hlsUrl).toContain("/hls/capped/");
    const fifth = await create();
    expect(fifth.hlsUrl).not.toContain("/hls/capped/");

    // Readiness: healthy registered nodes make media ready; once all are silent, it is not.
    expect(await media.ready()).toContain("3 healthy media nodes");
    const ready = await req("/readyz");
    expect(ready.status).toBe(200);
    clock.advance(60_000);
    expect((await nodes.loads()).length).toBe(0);
    const notReady = await req("/readyz");
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as {
      ready: boolean;
      checks: Record<string, { ok: boolean }>;
      error: { code: string };
    };
    expect(body.ready).toBe(false);
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.media?.ok).toBe(false);
    expect(body.error.code).toBe("media_unavailable");
    expect((await req("/start_stream?name=nowhere", { method: "POST" })).status).toBe(503);
  });

  test("registration, fail-over on reconnect, unknown nodes refused", async () => {
    const clock = manualClock();
    const { app, store, liveState } = managerFor(handle, { now: clock.now, nodeTimeoutMs: 1000 });
    const { internal } = requestsTo(app);
    expect((await internal("/nodes/heartbeat", nodeHeartbeat("a"))).status).toBe(204);
    expect((await internal("/nodes/heartbeat", nodeHeartbeat("b"))).status).toBe(204);
    const badId = await internal("/nodes/heartbeat", { ...nodeHeartbeat("c"), id: "Bad Id" });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { error: { message: string } }).error.message).toContain("id");

    const base = { name: "s", chatUrl: "ws://x", rtmpServer: "", whipUrl: "", hlsUrl: "" };
    await store.create({ ...base, publicId: "streamAAAAAA", privateId: "key-a", mediaNode: "a" });
    const live = { phase: "live", origin: { node: "a", session: "a-1", epoch: 1, seq: 1 }, rungs: [] };
    expect((await internal("/streams/streamAAAAAA/state", live)).status).toBe(204);
    // Publishing to b while live on healthy a is refused.
    expect((await internal("/keys/verify", { key: "key-a", node: "b" })).status).toBe(409);
    // While a only waits for its publisher to come back, the publisher may move to b.
    await internal("/streams/streamAAAAAA/state", {
      ...live,
      phase: "reconnecting",
      origin: { ...live.origin, seq: 2 },
    });
    expect((await internal("/keys/verify", { key: "key-a", node: "b" })).status).toBe(200);
    const row = await store.get("streamAAAAAA");
    expect(row?.mediaNode).toBe("b");
    expect(row?.live).toBe(false);
    expect(row?.hlsUrl).toBe("http://cdn.example/hls/b/streamAAAAAA/master.m3u8");
    expect(row?.rtmpServer).toBe("rtmp://b.example:1935/live");
    // An unregistered node cannot take streams; nor can one that has gone silent.
    expect((await internal("/keys/verify", { key: "key-a", node: "zzz" })).status).toBe(403);
    clock.advance(5000);
    expect(await liveState.sweep()).toBe(0);
    expect((await internal("/keys/verify", { key: "key-a", node: "a" })).status).toBe(403);
  });
});
