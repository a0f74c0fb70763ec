import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  AdminOverview,
  CreationTokenList,
  ErrorBody,
  IssuedCreationToken,
  StartedStream,
} from "@hearth/contracts";
import { creationTokens, type DatabaseHandle, streams } from "@hearth/db";
import { eq } from "drizzle-orm";
import { ADMIN, freshDatabase, INTERNAL, managerFor } from "../testing/harness.ts";
import { hashKey } from "./stream-key.ts";

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await freshDatabase("postgres");
});
afterAll(async () => {
  await handle.close();
});

function manager(
  clock: () => number = Date.now,
  adminToken: string | undefined = ADMIN,
  directoryCacheMs = 0,
) {
  const m = managerFor(handle, { directoryCacheMs, safety: { policy: "token", clock, adminToken } });
  const admin = (path: string, init: RequestInit = {}, token = ADMIN) =>
    m.app.request(`http://localhost${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    });
  const issue = async (body: unknown) => {
    const res = await admin("/admin/creation-tokens", { method: "POST", body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    return IssuedCreationToken.parse(await res.json());
  };
  const list = async () =>
    CreationTokenList.parse(await (await admin("/admin/creation-tokens")).json()).tokens;
  const create = (token: string, name = "invited") =>
    m.app.request("http://localhost/start_stream", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, creationToken: token }),
    });
  return { ...m, admin, issue, list, create };
}

const code = async (res: Response) => ErrorBody.parse(await res.json()).error.code;

describe("admin API", () => {
  test("a missing or wrong admin token is 401; no ADMIN_TOKEN configured is 503", async () => {
    const m = manager();
    for (const path of ["/admin/creation-tokens", "/admin/overview"]) {
      const none = await m.app.request(`http://localhost${path}`);
      expect(none.status).toBe(401);
      expect(await code(none)).toBe("admin_token_required");
      const wrong = await m.admin(path, {}, "wrong-admin-token-0123456789");
      expect(wrong.status).toBe(401);
      expect(await code(wrong)).toBe("admin_token_invalid");
    }
    const stop = await m.admin("/admin/streams/AAAAAAAAAAAA/stop", { method: "POST" }, `${ADMIN}x`);
    expect(stop.status).toBe(401);
    const off = managerFor(handle, { safety: { adminToken: undefined } });
    const res = await off.app.request("http://localhost/admin/overview", {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(503);
    expect(await code(res)).toBe("admin_disabled");
  });

  test("wrong admin tokens are limited per client: 10, then every attempt waits, the right token too", async () => {
    let now = Date.now();
    const m = manager(() => now);
    const from = (peer: string, token: string, path = "/admin/overview", method = "GET") =>
      m.app.request(
        `http://localhost${path}`,
        { method, headers: { authorization: `Bearer ${token}` } },
        { requestIP: () => ({ address: peer, family: "IPv4", port: 40000 }) },
      );
    for (let i = 0; i < 10; i++) expect((await from("203.0.113.66", `guess-${i}`)).status).toBe(401);
    const locked = await from("203.0.113.66", ADMIN);
    expect(locked.status).toBe(429);
    expect(await code(locked)).toBe("admin_token_attempts");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    // The admin bearer on POST /start_stream shares the same limit.
    expect((await from("203.0.113.66", ADMIN, "/start_stream?name=x", "POST")).status).toBe(429);
    // Another client is not affected; a minute later one more guess is allowed.
    expect((await from("203.0.113.67", ADMIN)).status).toBe(200);
    now += 60_000;
    expect((await from("203.0.113.66", ADMIN)).status).toBe(200);
    expect((await from("203.0.113.66", "guess-again")).status).toBe(401);
    expect((await from("203.0.113.66", ADMIN)).status).toBe(429);
  });

  test("issue, list and revoke creation tokens; the secret is shown once and stored hashed", async () => {
    const m = manager();
    const t = await m.issue({ label: "  alice  ", uses: 2, expiresInSeconds: 3600 });
    expect(t.token).toMatch(/^hct_[A-Za-z0-9_-]{32}$/);
    expect(t).toMatchObject({ label: "alice", usesLeft: 2, revokedAt: null });
    const listed = (await m.list()).find((x) => x.id === t.id);
    expect(listed).toEqual({
      id: t.id,
      label: "alice",
      usesLeft: 2,
      expiresAt: t.expiresAt,
      revokedAt: null,
      createdAt: t.createdAt,
    });
    expect(JSON.stringify(await m.list())).not.toContain(t.token);
    const [stored] = await handle.db.select().from(creationTokens).where(eq(creationTokens.id, t.id));
    expect(stored?.tokenHash).toBe(hashKey(t.token));
    expect(JSON.stringify(stored)).not.toContain(t.token);

    expect((await m.create(t.token)).status).toBe(201);
    expect((await m.admin(`/admin/creation-tokens/${t.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await m.list()).find((x) => x.id === t.id)?.revokedAt).not.toBeNull();
    const refused = await m.create(t.token);
    expect(refused.status).toBe(403);
    expect(ErrorBody.parse(await refused.json()).error).toEqual({
      code: "creation_token_invalid",
      message: "this creation token was revoked by the operator",
    });
    expect((await m.admin("/admin/creation-tokens/ct_nope", { method: "DELETE" })).status).toBe(404);
  });

  test("bad bodies are 400 in the usual error shape", async () => {
    const m = manager();
    for (const body of ['{"uses":0}', '{"expiresInSeconds":5}', '{"label":7}', "not json"]) {
      const res = await m.admin("/admin/creation-tokens", { method: "POST", body });
      expect(res.status).toBe(400);
      expect(ErrorBody.safeParse(await res.json()).success).toBe(true);
    }
  });

  test("a use count runs out, and expiry follows the injected clock; unlimited tokens stay good", async () => {
    let now = Date.now();
    const m = manager(() => now);
    const twice = await m.issue({ uses: 2, expiresInSeconds: null });
    expect((await m.create(twice.token)).status).toBe(201);
    expect((await m.create(twice.token)).status).toBe(201);
    const third = await m.create(twice.token);
    expect(third.status).toBe(403);
    expect(ErrorBody.parse(await third.json()).error.message).toContain("used up");

    const hour = await m.issue({ uses: null, expiresInSeconds: 3600 });
    expect(hour.usesLeft).toBeNull();
    expect(Date.parse(hour.expiresAt ?? "")).toBe(now + 3_600_000);
    for (let i = 0; i < 3; i++) expect((await m.create(hour.token)).status).toBe(201);
    now += 3_599_000;
    expect((await m.create(hour.token)).status).toBe(201);
    now += 2_000;
    const late = await m.create(hour.token);
    expect(late.status).toBe(403);
    expect(ErrorBody.parse(await late.json()).error.message).toContain("expired");
  });

  test("the overview shows the policy, nodes with their budget, and streams with rungs and viewers", async () => {
    const m = manager();
    const heartbeat = await m.app.request("http://localhost/internal/nodes/heartbeat", {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify({
        id: "node-a",
        rtmpServer: "rtmp://a.example:1935/live",
        whipBase: "http://a.example/whip",
        hlsBase: "http://cdn.example/hls/a",
        internalUrl: "http://a.internal:8083",
        capacity: 10,
        load: 0,
        streams: [],
        budget: { total: 100, used: 40, fullLadder: 30, maxStreams: 8 },
      }),
    });
    expect(heartbeat.status).toBe(204);
    const s = StartedStream.parse(await (await m.create((await m.issue({})).token, "shown live")).json());
    await handle.db.update(streams).set({ mediaNode: "node-a" }).where(eq(streams.publicId, s.publicId));
    const rungs = [
      { name: "720p", bandwidth: 2_800_000, width: 1280, height: 720, playlist: "720p/index.m3u8" },
    ];
    const state = await m.app.request(`http://localhost/internal/streams/${s.publicId}/state`, {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify({
        phase: "live",
        origin: { node: "node-a", session: "s", epoch: 1, seq: 1 },
        rungs,
      }),
    });
    expect(state.status).toBe(204);

    const o = AdminOverview.parse(await (await m.admin("/admin/overview")).json());
    expect(o.policy).toBe("token");
    expect(o.nodes.find((n) => n.id === "node-a")).toMatchObject({
      healthy: true,
      streams: 1,
      budgetTotal: 100,
      budgetUsed: 40,
    });
    expect(o.streams[0]).toMatchObject({
      publicId: s.publicId,
      name: "shown live",
      live: true,
      node: "node-a",
      rungs: ["720p"],
      viewers: 3,
    });
    expect(JSON.stringify(o)).not.toContain(s.privateId);
  });

  test("the operator ends a stream: kept in history, its key refused, media and chat told", async () => {
    const m = manager();
    const s = StartedStream.parse(await (await m.create((await m.issue({})).token, "to end")).json());
    const res = await m.admin(`/admin/streams/${s.publicId}/stop`, { method: "POST" });
    expect(res.status).toBe(204);
    expect(m.calls).toContain(`media.remove ${s.publicId}`);
    expect(m.calls).toContain(`chat.remove ${s.publicId}`);
    const [row] = await handle.db.select().from(streams).where(eq(streams.publicId, s.publicId));
    expect(row?.endedAt).not.toBeNull();
    const verify = await m.app.request("http://localhost/internal/keys/verify", {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify({ key: s.privateId }),
    });
    expect(verify.status).toBe(403);
    const o = AdminOverview.parse(await (await m.admin("/admin/overview")).json());
    expect(o.streams.some((x) => x.publicId === s.publicId)).toBe(false);
    // Again: already ended, still 204; unknown: 404; malformed: 400.
    expect((await m.admin(`/admin/streams/${s.publicId}/stop`, { method: "POST" })).status).toBe(204);
    expect((await m.admin("/admin/streams/AAAAAAAAAAAA/stop", { method: "POST" })).status).toBe(404);
    expect((await m.admin("/admin/streams/bad!/stop", { method: "POST" })).status).toBe(400);
  });

  test("an operator's stop drops the cached directory pages, as the owner's does", async () => {
    const m = manager(Date.now, ADMIN, 60_000);
    const s = StartedStream.parse(await (await m.create((await m.issue({})).token, "cached")).json());
    const listed = async () =>
      JSON.stringify(await (await m.app.request("http://localhost/streams?limit=100")).json()).includes(
        s.publicId,
      );
    expect(await listed()).toBe(true);
    expect((await m.admin(`/admin/streams/${s.publicId}/stop`, { method: "POST" })).status).toBe(204);
    expect(await listed()).toBe(false);
  });

  test("the admin routes are in /openapi.json with their security scheme", async () => {
    const m = manager();
    const doc = await (await m.app.request("http://localhost/openapi.json")).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/start_stream",
        "/admin/creation-tokens",
        "/admin/creation-tokens/{id}",
        "/admin/overview",
        "/admin/streams/{publicId}/stop",
      ]),
    );
    expect(doc.paths["/admin/creation-tokens"].post.security).toEqual([{ adminToken: [] }]);
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.streamKey).toBeDefined();
    expect(
      doc.paths["/admin/creation-tokens"].post.responses["201"].content["application/json"].schema,
    ).toBeDefined();
    // start_stream documents its refusals and where the creation token may go.
    const start = doc.paths["/start_stream"].post;
    expect(Object.keys(start.responses)).toEqual(
      expect.arrayContaining(["201", "400", "401", "403", "413", "429", "503"]),
    );
    expect(start.responses["429"].headers["Retry-After"]).toBeDefined();
    expect(start.parameters).toContainEqual(
      expect.objectContaining({ name: "x-creation-token", in: "header" }),
    );
  });

  test("a browser on another origin may send X-Creation-Token", async () => {
    const m = manager();
    const res = await m.app.request("http://localhost/start_stream", {
      method: "OPTIONS",
      headers: {
        origin: "http://elsewhere.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-creation-token",
      },
    });
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-creation-token");
  });
});
