/**
 * The broadcast page's settings call against a stand-in on loopback that answers as the contract says
 * (StreamSettings; the manager's route is built beside this page): the key goes only in the Authorization
 * header, the body is the contract's, and a refusal carries the manager's words.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { StreamSettings } from "@hearth/contracts/mini";
import { ManagerRefusal } from "../../client/manager-calls.ts";
import { saveStreamSettings, streamSettingsRequest } from "./stream-settings.ts";

const KEY = "sk_0123456789abcdef0123456789abcdef";
const PUBLIC_ID = "AbCdEf123456";
const seen: Array<{ method: string; url: string; auth: string | null; type: string | null; body: string }> =
  [];
let server: ReturnType<typeof Bun.serve>;
let base: string;

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      seen.push({
        method: req.method,
        url: req.url,
        auth: req.headers.get("authorization"),
        type: req.headers.get("content-type"),
        body,
      });
      if (req.headers.get("authorization") !== `Bearer ${KEY}`)
        return Response.json(
          { error: { code: "stream_key_invalid", message: "that is not this stream's key" } },
          { status: 403 },
        );
      // Answers with what it stored, as the contract says.
      return Response.json(StreamSettings.parse(JSON.parse(body)));
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

describe("the Record broadcasts setting", () => {
  test("PUT /stream/:publicId/settings with the key as Bearer token and { recording } as JSON", async () => {
    const req = streamSettingsRequest(base, PUBLIC_ID, KEY, { recording: false });
    expect(req.method).toBe("PUT");
    expect(req.url).toBe(`${base}/stream/${PUBLIC_ID}/settings`);
    expect(req.headers.get("authorization")).toBe(`Bearer ${KEY}`);
    expect(await req.json()).toEqual({ recording: false });
  });

  test("turning it off and on again: the manager's answer is returned; the key is never in a URL", async () => {
    seen.length = 0;
    expect(await saveStreamSettings(base, PUBLIC_ID, KEY, { recording: false })).toEqual({
      recording: false,
    });
    expect(await saveStreamSettings(base, PUBLIC_ID, KEY, { recording: true })).toEqual({ recording: true });
    expect(seen.map((s) => [s.method, new URL(s.url).pathname, s.auth, s.type, s.body])).toEqual([
      ["PUT", `/stream/${PUBLIC_ID}/settings`, `Bearer ${KEY}`, "application/json", '{"recording":false}'],
      ["PUT", `/stream/${PUBLIC_ID}/settings`, `Bearer ${KEY}`, "application/json", '{"recording":true}'],
    ]);
    for (const s of seen) expect(s.url).not.toContain(KEY);
  });

  test("a refusal says why in the manager's words, with its status and code", async () => {
    const err = await saveStreamSettings(base, PUBLIC_ID, "sk_wrong", { recording: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ManagerRefusal);
    expect((err as ManagerRefusal).status).toBe(403);
    expect((err as ManagerRefusal).code).toBe("stream_key_invalid");
    expect((err as ManagerRefusal).message).toBe(
      "Could not save the setting (403): that is not this stream's key",
    );
  });
});
