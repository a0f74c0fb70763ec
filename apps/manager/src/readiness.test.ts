import { expect, test } from "bun:test";
import { createLogger, internalClient } from "@hearth/server-kit";
import { Hono } from "hono";
import { freshDatabase, INTERNAL } from "../testing/harness.ts";
import { mediaNodeStore } from "./media-nodes.ts";
import { checkReadiness } from "./readiness.ts";
import { httpChatService, placedMediaService } from "./services.ts";

const silent = createLogger({}, { silent: true });

test("a check that never answers counts as down after the timeout; the body hides the raw error", async () => {
  const report = await checkReadiness(
    {
      database: async () => "ok",
      media: () => new Promise<string>(() => {}),
      chat: async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.7:8082");
      },
    },
    silent,
    50,
  );
  expect(report.ready).toBe(false);
  expect(report.checks.database.ok).toBe(true);
  expect(report.checks.media).toEqual({ ok: false, detail: "no media node can take a stream" });
  expect(report.checks.chat.ok).toBe(false);
  expect(JSON.stringify(report)).not.toContain("10.0.0.7");
  expect(report.error?.code).toBe("media_unavailable");
});

test("with no node registered, media is ready when the single node answers /healthz; chat likewise", async () => {
  const up = { media: true, chat: true };
  const peer = new Hono();
  peer.get("/healthz", (c) =>
    (new URL(c.req.url).hostname === "media" ? up.media : up.chat)
      ? c.json({ ok: true })
      : c.text("down", 503),
  );
  const fetch = ((input: string | URL | Request, init?: RequestInit) =>
    peer.request(input instanceof Request ? input : String(input), init)) as typeof globalThis.fetch;
  const client = (baseUrl: string) => internalClient({ service: "x", baseUrl, token: INTERNAL, fetch });
  const handle = await freshDatabase("pglite");
  try {
    const media = placedMediaService({
      nodes: mediaNodeStore(handle.db, { timeoutMs: 6000 }),
      single: client("http://media"),
      clientFor: client,
    });
    const chat = httpChatService(client("http://chat"));
    expect(await media.ready()).toBe("the media node answers");
    expect(await chat.ready()).toBe("the chat service answers");
    up.media = false;
    up.chat = false;
    await expect(media.ready()).rejects.toThrow();
    await expect(chat.ready()).rejects.toThrow();
  } finally {
    await handle.close();
  }
});
