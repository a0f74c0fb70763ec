import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ErrorBody, IssuedCreationToken, StartedStream } from "@hearth/contracts";
import { type DatabaseHandle, streams } from "@hearth/db";
import { count, eq, isNull } from "drizzle-orm";
import { ADMIN, freshDatabase, managerFor } from "../testing/harness.ts";
import type { SafetyOptions } from "./creation-policy.ts";
import { parseEnv } from "./env.ts";

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await freshDatabase("postgres");
});
afterAll(async () => {
  await handle.close();
});

const creatorOf = async (publicId: string) =>
  (await handle.db.select({ ip: streams.creatorIp }).from(streams).where(eq(streams.publicId, publicId)))[0]
    ?.ip;
const openStreams = async () =>
  (await handle.db.select({ n: count() }).from(streams).where(isNull(streams.endedAt)))[0]?.n ?? 0;

/** A manager with the given safety settings; requests come from `peer` as Bun's server would report it. */
function manager(safety: Partial<SafetyOptions>) {
  const m = managerFor(handle, { safety });
  const post = (
    init: { peer?: string; headers?: Record<string, string>; body?: unknown; query?: string } = {},
  ) =>
    m.app.request(
      `http://localhost/start_stream${init.query ?? ""}`,
      {
        method: "POST",
        headers: { "content-type": "application/json", ...init.headers },
        body: JSON.stringify(init.body ?? { name: "a stream" }),
      },
      { requestIP: () => ({ address: init.peer ?? "198.51.100.7", family: "IPv4", port: 50000 }) },
    );
  const admin = (path: string, init: RequestInit = {}) =>
    m.app.request(`http://localhost${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", ...init.headers },
    });
  const stop = (s: StartedStream) =>
    m.app.request(`http://localhost/stop_stream/${s.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.privateId}` },
    });
  return { ...m, post, admin, stop };
}

/** A refusal counter's value as /metrics shows it. */
async function refused(m: { app: { request(url: string): Response | Promise<Response> } }, reason: string) {
  const text = await (await m.app.request("http://localhost/metrics")).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`manager_stream_creation_refusals_total{reason="${reason}"}`));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

async function refusal(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe("who may create streams", () => {
  test("open: anyone creates; a wrong admin bearer is refused, not ignored", async () => {
    const m = manager({ policy: "open" });
    expect((await m.post()).status).toBe(201);
    await refusal(
      await m.post({ headers: { authorization: "Bearer not-the-admin" } }),
      401,
      "admin_token_invalid",
    );
    expect(await refused(m, "admin_token_invalid")).toBe(1);
  });

  test("closed: only the admin bearer creates, and the stream counts against no client", async () => {
    const m = manager({ policy: "closed" });
    expect(await refusal(await m.post(), 403, "creation_closed")).toContain("closed");
    const res = await m.post({ headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(201);
    const s = StartedStream.parse(await res.json());
    expect(await creatorOf(s.publicId)).toBeNull();
    expect(await refused(m, "closed")).toBe(1);
  });

  test("token: a creation token is needed, in the body or a header, never in the URL", async () => {
    const m = manager({ policy: "token" });
    expect(await refusal(await m.post(), 401, "creation_token_required")).toContain("creation token");
    await refusal(
      await m.post({ body: { name: "x", creationToken: "hct_made_up" } }),
      403,
      "creation_token_invalid",
    );
    const issued = IssuedCreationToken.parse(
      await (
        await m.admin("/admin/creation-tokens", { method: "POST", body: JSON.stringify({ uses: 3 }) })
      ).json(),
    );
    await refusal(
      await m.post({ query: `?creationToken=${issued.token}`, body: { name: "x" } }),
      400,
      "creation_token_in_url",
    );
    const viaBody = await m.post({ body: { name: "by body", creationToken: issued.token } });
    expect(viaBody.status).toBe(201);
    const viaHeader = await m.post({
      headers: { "x-creation-token": issued.token },
      body: { name: "by header" },
    });
    expect(viaHeader.status).toBe(201);
    const s = StartedStream.parse(await viaHeader.json());
    expect(await creatorOf(s.publicId)).toBe("198.51.100.7");
    // The admin creates without a token.
    expect((await m.post({ headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(201);
    const list = await (await m.admin("/admin/creation-tokens")).json();
    expect(list.tokens.find((t: { id: string }) => t.id === issued.id)?.usesLeft).toBe(1);
  });

  test("token: a creation that fails upstream gives the token's use back", async () => {
    const m = manager({ policy: "token" });
    const issued = IssuedCreationToken.parse(
      await (await m.admin("/admin/creation-tokens", { method: "POST", body: JSON.stringify({}) })).json(),
    );
    expect(issued.usesLeft).toBe(1);
    m.state.mediaDown = true;
    expect((await m.post({ body: { name: "x", creationToken: issued.token } })).status).toBe(503);
    // A bad name is refused before the guard runs: nothing created, the use not even taken.
    m.state.mediaDown = false;
    expect((await m.post({ body: { name: "   ", creationToken: issued.token } })).status).toBe(400);
    expect((await m.post({ body: { name: "x", creationToken: issued.token } })).status).toBe(201);
    expect(
      await refusal(
        await m.post({ body: { name: "y", creationToken: issued.token } }),
        403,
        "creation_token_invalid",
      ),
    ).toContain("used up");
  });
});

describe("abuse limits", () => {
  test("an oversized body is 413 before anything reads it, declared or streamed", async () => {
    const m = manager({});
    await refusal(await m.post({ body: { name: "x".repeat(20_000) } }), 413, "payload_too_large");
    const chunks = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 40; i++) ctl.enqueue(new TextEncoder().encode(" ".repeat(1024)));
        ctl.close();
      },
    });
    const streamed = await m.app.request("http://localhost/start_stream", {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body: chunks,
    });
    await refusal(streamed, 413, "payload_too_large");
    const admin = await m.admin("/admin/creation-tokens", {
      method: "POST",
      body: JSON.stringify({ label: "x".repeat(20_000) }),
    });
    await refusal(admin, 413, "payload_too_large");
  });

  test("the per-client token bucket answers 429 with Retry-After; another client is unaffected", async () => {
    const m = manager({ burst: 3, ratePerHour: 10 });
    for (let i = 0; i < 3; i++) expect((await m.post({ peer: "192.0.2.10" })).status).toBe(201);
    const res = await m.post({ peer: "192.0.2.10" });
    expect(await refusal(res, 429, "rate_limited")).toContain("too many");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(300);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(360);
    expect((await m.post({ peer: "192.0.2.11" })).status).toBe(201);
    // The admin is never rate-limited.
    expect((await m.post({ peer: "192.0.2.10", headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(
      201,
    );
    expect(await refused(m, "rate_limited")).toBe(1);
  });

  test("the bucket refills on the injected clock", async () => {
    let now = Date.now();
    const m = manager({ burst: 1, ratePerHour: 60, clock: () => now });
    expect((await m.post({ peer: "192.0.2.20" })).status).toBe(201);
    const res = await m.post({ peer: "192.0.2.20" });
    await refusal(res, 429, "rate_limited");
    expect(res.headers.get("retry-after")).toBe("60");
    now += 60_000;
    expect((await m.post({ peer: "192.0.2.20" })).status).toBe(201);
  });

  test("a cap on streams created and not ended per client; stopping one frees a slot", async () => {
    const m = manager({ maxOpenPerClient: 2 });
    const a = StartedStream.parse(await (await m.post({ peer: "192.0.2.30" })).json());
    expect((await m.post({ peer: "192.0.2.30" })).status).toBe(201);
    const res = await m.post({ peer: "192.0.2.30" });
    expect(await refusal(res, 429, "too_many_open_streams")).toContain("stop one");
    expect(res.headers.get("retry-after")).toBe("60");
    expect((await m.post({ peer: "192.0.2.31" })).status).toBe(201);
    expect((await m.stop(a)).status).toBe(204);
    expect((await m.post({ peer: "192.0.2.30" })).status).toBe(201);
  });

  test("parallel creations from one client cannot overshoot the cap", async () => {
    const m = manager({ maxOpenPerClient: 3 });
    const all = await Promise.all(Array.from({ length: 8 }, () => m.post({ peer: "192.0.2.40" })));
    expect(all.filter((r) => r.status === 201)).toHaveLength(3);
    expect(all.filter((r) => r.status === 429)).toHaveLength(5);
  });

  test("an instance-wide cap on streams not ended, the admin's included", async () => {
    const open = await openStreams();
    const m = manager({ maxOpen: open + 1 });
    expect((await m.post({ peer: "192.0.2.50" })).status).toBe(201);
    const res = await m.post({ peer: "192.0.2.51" });
    expect(await refusal(res, 429, "too_many_streams")).toContain("instance");
    expect(res.headers.get("retry-after")).toBe("60");
    await refusal(await m.post({ headers: { authorization: `Bearer ${ADMIN}` } }), 429, "too_many_streams");
    expect(await refused(m, "instance_cap")).toBe(2);
  });

  test("a forged X-Forwarded-For from an untrusted peer is ignored; from a trusted proxy it is used", async () => {
    const m = manager({ burst: 1, ratePerHour: 1, trustedProxies: "10.0.0.0/8" });
    // A client rotating forged headers is still one client.
    expect((await m.post({ peer: "203.0.113.5", headers: { "x-forwarded-for": "1.1.1.1" } })).status).toBe(
      201,
    );
    await refusal(
      await m.post({ peer: "203.0.113.5", headers: { "x-forwarded-for": "2.2.2.2" } }),
      429,
      "rate_limited",
    );
    // Behind the trusted proxy, each client has its own bucket, and forged hops on the left do not matter.
    const viaProxy = (xff: string) => m.post({ peer: "10.0.0.2", headers: { "x-forwarded-for": xff } });
    const first = await viaProxy("198.51.100.21");
    expect(first.status).toBe(201);
    const s = StartedStream.parse(await first.json());
    expect(await creatorOf(s.publicId)).toBe("198.51.100.21");
    expect((await viaProxy("198.51.100.22")).status).toBe(201);
    await refusal(await viaProxy("9.9.9.9, 198.51.100.21"), 429, "rate_limited");
  });
});

describe("configuration", () => {
  const base = { INTERNAL_TOKEN: "internal-token-0123456789" };
  test("public defaults: open, 10 an hour with a burst of 3, 5 open per client, idle streams go after 24 h", () => {
    const env = parseEnv(base);
    expect(env).toMatchObject({
      STREAM_CREATION: "open",
      CREATE_RATE_PER_HOUR: 10,
      CREATE_BURST: 3,
      MAX_OPEN_STREAMS_PER_IP: 5,
      MAX_OPEN_STREAMS: 1000,
      STREAM_IDLE_TTL: 24 * 3_600_000,
      TRUSTED_PROXIES: "127.0.0.1,::1",
    });
    expect(env.ADMIN_TOKEN).toBeUndefined();
    expect(parseEnv({ ...base, STREAM_IDLE_TTL: "90m" }).STREAM_IDLE_TTL).toBe(90 * 60_000);
    expect(parseEnv({ ...base, STREAM_IDLE_TTL: "3600" }).STREAM_IDLE_TTL).toBe(3_600_000);
  });
  test("token and closed need ADMIN_TOKEN; bad values are refused at start", () => {
    expect(() => parseEnv({ ...base, STREAM_CREATION: "token" })).toThrow(/ADMIN_TOKEN/);
    expect(() => parseEnv({ ...base, STREAM_CREATION: "closed" })).toThrow(/ADMIN_TOKEN/);
    expect(parseEnv({ ...base, STREAM_CREATION: "closed", ADMIN_TOKEN: ADMIN }).STREAM_CREATION).toBe(
      "closed",
    );
    expect(() => parseEnv({ ...base, STREAM_CREATION: "invite-only" })).toThrow();
    expect(() => parseEnv({ ...base, ADMIN_TOKEN: "short" })).toThrow(/16/);
    expect(() => parseEnv({ ...base, STREAM_IDLE_TTL: "a day" })).toThrow(/duration/);
    expect(() => parseEnv({ ...base, TRUSTED_PROXIES: "10.0.0.0/8, nginx" })).toThrow(/TRUSTED_PROXIES/);
    expect(parseEnv({ ...base, TRUSTED_PROXIES: "10.0.0.0/8, ::1" }).TRUSTED_PROXIES).toBe("10.0.0.0/8, ::1");
  });
});
