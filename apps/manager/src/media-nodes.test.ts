import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DatabaseHandle } from "@hearth/db";
import { mediaNodes } from "@hearth/db";
import { eq } from "drizzle-orm";
import { mediaNodeStore } from "./media-nodes.ts";
import { streamStore } from "./stream-store.ts";
import { freshDatabase, INTERNAL, managerFor } from "../testing/harness.ts";

const node = (id: string) => ({
  id,
  rtmpServer: `rtmp://${id}.example:1935/live`,
  whipBase: `http://${id}.example/whip`,
  hlsBase: `http://cdn.example/hls/${id}`,
  internalUrl: `http://${id}.internal:8083`,
  capacity: 10,
  load: 0,
});

describe.each(["postgres", "pglite"] as const)("media node registry on %s", (kind) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshDatabase(kind);
  });
  afterAll(() => handle.close());

  test("placement, fail-over on reconnect, and the sweep of a silent node", async () => {
    const nodes = mediaNodeStore(handle.db, 1000);
    const store = streamStore(handle.db);
    const { app } = managerFor(handle);
    const internal = (path: string, body: unknown) =>
      app.request(`http://localhost/internal${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    expect(await nodes.any()).toBe(false);
    expect((await internal("/nodes/heartbeat", node("a"))).status).toBe(204);
    expect((await internal("/nodes/heartbeat", node("b"))).status).toBe(204);
    expect((await internal("/nodes/heartbeat", { ...node("c"), id: "Bad Id" })).status).toBe(400);

    // Node a gets a stream; the least-loaded is then b.
    const base = { name: "s", chatUrl: "ws://x", rtmpServer: "", whipUrl: "", hlsUrl: "" };
    await store.create({ ...base, publicId: "streamAAAAAA", privateId: "key-a", mediaNode: "a" });
    expect((await nodes.leastLoaded())?.id).toBe("b");
    await store.create({ ...base, publicId: "streamBBBBBB", privateId: "key-b", mediaNode: "b" });
    await store.create({ ...base, publicId: "streamCCCCCC", privateId: "key-c", mediaNode: "b" });
    expect((await nodes.leastLoaded())?.id).toBe("a");

    await store.setLive("streamAAAAAA", true, []);
    // Publishing to b while live on healthy a is refused.
    expect((await internal("/keys/verify", { key: "key-a", node: "b" })).status).toBe(409);

    // a goes silent: the sweep shows its stream offline, and a reconnect to b moves the stream there.
    await handle.db
      .update(mediaNodes)
      .set({ heartbeatAt: new Date(Date.now() - 5000) })
      .where(eq(mediaNodes.id, "a"));
    expect(await nodes.sweep()).toBe(1);
    expect((await store.get("streamAAAAAA"))?.live).toBe(false);
    expect((await nodes.leastLoaded())?.id).toBe("b");
    const moved = await internal("/keys/verify", { key: "key-a", node: "b" });
    expect(moved.status).toBe(200);
    const row = await store.get("streamAAAAAA");
    expect(row?.mediaNode).toBe("b");
    expect(row?.hlsUrl).toBe("http://cdn.example/hls/b/streamAAAAAA/master.m3u8");
    expect(row?.rtmpServer).toBe("rtmp://b.example:1935/live");
    // b's heartbeat came late and the sweep showed its live stream offline: the next heartbeat restores it.
    await store.setLive("streamBBBBBB", true, []);
    const startedAt = (await store.get("streamBBBBBB"))?.startedAt;
    await handle.db
      .update(mediaNodes)
      .set({ heartbeatAt: new Date(Date.now() - 5000) })
      .where(eq(mediaNodes.id, "b"));
    expect(await nodes.sweep()).toBe(1);
    expect((await store.get("streamBBBBBB"))?.live).toBe(false);
    expect(
      (
        await internal("/nodes/heartbeat", {
          ...node("b"),
          streams: ["streamBBBBBB", "notOnThisNode1"].map((publicId, seq) => ({
            publicId,
            phase: "live",
            origin: { node: "b", session: `s-${publicId}`, epoch: Date.now(), seq },
          })),
        })
      ).status,
    ).toBe(204);
    const back = await store.get("streamBBBBBB");
    expect(back?.live).toBe(true);
    expect(back?.startedAt).toEqual(startedAt ?? null);
    // Only what the node lists: streamCCCCCC, also on b but not listed, stays offline.
    expect((await store.get("streamCCCCCC"))?.live).toBe(false);

    // An unregistered node cannot take streams.
    expect((await internal("/keys/verify", { key: "key-c", node: "zzz" })).status).toBe(403);
  });
});
