/**
 * The browser's calls to the manager against a stand-in on loopback that answers as the contracts say (the real
 * manager is exercised in tests/e2e/web-admin.test.ts): what is sent where, and what a refusal tells the person.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { clip } from "../test-fixtures.ts";
import { AdminError, adminApi } from "./admin-api.ts";
import { createClip, ManagerRefusal, startStream } from "./manager-calls.ts";

const ADMIN = "operator-secret-0123456789";
const seen: Array<{ method: string; url: string; auth: string | null; body: string }> = [];
let server: ReturnType<typeof Bun.serve>;
let base: string;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });
const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message } }, headers);

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const body = await req.text();
      seen.push({ method: req.method, url: req.url, auth: req.headers.get("authorization"), body });
      if (url.pathname === "/clips") {
        const b = JSON.parse(body) as { stream?: string; videoId?: string };
        if (b.stream === "busyStream01")
          return error(429, "rate_limited", "too many clips", { "Retry-After": "20" });
        if (b.videoId === "gone00000000") return error(404, "video_not_found", "that video was deleted");
        return json(201, clip({ clipId: "newclip000000001" }));
      }
      if (url.pathname === "/start_stream") {
        const { creationToken } = JSON.parse(body) as { creationToken?: string };
        if (!creationToken)
          return error(401, "creation_token_required", "this instance needs an invite token");
        if (creationToken === "spent")
          return error(429, "rate_limited", "too many streams", { "Retry-After": "600" });
        return error(403, "creation_token_invalid", "that invite was revoked");
      }
      if (req.headers.get("authorization") !== `Bearer ${ADMIN}`)
        return error(401, "admin_token_invalid", "that admin token is not valid");
      if (url.pathname === "/admin/overview") return json(200, { policy: "token", nodes: [], streams: [] });
      if (url.pathname === "/admin/creation-tokens" && req.method === "GET")
        return json(200, { tokens: "nope" });
      if (url.pathname.startsWith("/admin/creation-tokens/") && req.method === "DELETE")
        return new Response(null, { status: 204 });
      return error(404, "not_found", "no such route");
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

describe("creating a stream", () => {
  test("the invite goes in the JSON body, never the URL; each refusal says why, with when to retry", async () => {
    const attempts: Array<[string | undefined, number, RegExp]> = [
      [undefined, 401, /needs an invite token/],
      ["revoked", 403, /that invite was revoked$/],
      ["spent", 429, /too many streams; try again in 10 min$/],
    ];
    for (const [token, status, message] of attempts) {
      const err = await startStream(base, "My stream", token).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ManagerRefusal);
      expect((err as ManagerRefusal).status).toBe(status);
      expect((err as ManagerRefusal).message).toMatch(message);
    }
    const creations = seen.filter((s) => s.url.includes("/start_stream"));
    for (const c of creations) expect(new URL(c.url).search).toBe("");
    expect(JSON.parse(creations[1]?.body ?? "")).toEqual({ name: "My stream", creationToken: "revoked" });
    expect(JSON.parse(creations[0]?.body ?? "")).toEqual({ name: "My stream" });
  });
});

describe("the admin API client", () => {
  test("sends the token as a bearer header and parses answers with the contract", async () => {
    const api = adminApi(base, ADMIN);
    expect(await api.overview()).toEqual({ policy: "token", nodes: [], streams: [] });
    await api.revokeToken("tok/1");
    const revoke = seen.find((s) => s.method === "DELETE");
    expect(revoke?.url).toEndWith("/admin/creation-tokens/tok%2F1");
    expect(revoke?.auth).toBe(`Bearer ${ADMIN}`);
  });

  test("a wrong token is a 401 AdminError; a body off the contract is refused, not trusted", async () => {
    const wrong = await adminApi(base, "guess")
      .overview()
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AdminError);
    expect((wrong as AdminError).status).toBe(401);
    expect((wrong as AdminError).message).toContain("that admin token is not valid");
    const off = await adminApi(base, ADMIN)
      .tokens()
      .catch((e: unknown) => e);
    expect((off as AdminError).message).toContain("does not match the contract");
  });

  test("an unreachable manager is an AdminError with status 0", async () => {
    const err = await adminApi("http://127.0.0.1:9", ADMIN)
      .overview()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminError);
    expect((err as AdminError).status).toBe(0);
  });
});

describe("making a clip", () => {
  test("posts the body as JSON and parses the clip; a 429 or 4xx says why, with when to retry", async () => {
    const made = await createClip(base, {
      stream: "liveStream01",
      endAt: "2026-11-28T20:00:30.000Z",
      durationSeconds: 30,
    });
    expect(made.watchUrl).toEndWith("/clips/newclip000000001");
    const post = seen.find((s) => s.url.endsWith("/clips"));
    expect(JSON.parse(post?.body ?? "")).toEqual({
      stream: "liveStream01",
      endAt: "2026-11-28T20:00:30.000Z",
      durationSeconds: 30,
    });
    const busy = await createClip(base, { stream: "busyStream01", durationSeconds: 30 }).catch(
      (e: unknown) => e,
    );
    expect(busy).toBeInstanceOf(ManagerRefusal);
    expect((busy as ManagerRefusal).status).toBe(429);
    expect((busy as ManagerRefusal).message).toMatch(/too many clips; try again in 20 s$/);
    const gone = await createClip(base, {
      videoId: "gone00000000",
      startSeconds: 3,
      durationSeconds: 30,
    }).catch((e: unknown) => e);
    expect((gone as ManagerRefusal).status).toBe(404);
    expect((gone as ManagerRefusal).message).toMatch(/that video was deleted$/);
  });
});
