import { describe, expect, test } from "bun:test";
import { internalClient } from "@hearth/server-kit";
import { Hono } from "hono";
import { managerKeyVerifier } from "./key-verifier.ts";

/** The manager's verify answer for two keys (its route's own tests live in apps/manager). */
const answers = new Hono().post("/internal/keys/verify", async (c) => {
  const { key } = (await c.req.json()) as { key: string };
  if (key === "k-off") return c.json({ publicId: "abcDEF123_-x", recording: false });
  if (key === "k-old") return c.json({ publicId: "abcDEF123_-y" });
  return c.json({ error: { code: "forbidden", message: "no" } }, 403);
});

describe("managerKeyVerifier", () => {
  test("hands the streamer's recording setting on with every accepted key (absent = on)", async () => {
    const seen: Array<[string, boolean]> = [];
    const client = internalClient({
      service: "manager",
      baseUrl: "http://manager.test",
      token: "t".repeat(16),
      fetch: ((input: Request | string | URL, init?: RequestInit) =>
        answers.request(String(input), init)) as typeof fetch,
    });
    const v = managerKeyVerifier(client, undefined, (id, rec) => seen.push([id, rec]));
    expect(await v.verify("k-off")).toBe("abcDEF123_-x");
    expect(await v.verify("k-old")).toBe("abcDEF123_-y");
    expect(await v.verify("k-bad")).toBeNull();
    expect(seen).toEqual([
      ["abcDEF123_-x", false],
      ["abcDEF123_-y", true],
    ]);
  });
});
