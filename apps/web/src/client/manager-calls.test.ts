/**
 * The browser's calls to the manager against a stand-in on loopback that answers as the contracts say (the real
 * manager is exercised in tests/e2e/web-admin.test.ts): what is sent where, and what a refusal tells the person.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AdminError, adminApi } from "./admin-api.ts";
import { ManagerRefusal, startStream } from "./manager-calls.ts";

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
