import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { errorHandler } from "./error-handler.ts";
import { bearerGuard, bearerToken, internalAuth } from "./internal-auth.ts";
import { createLogger } from "./logger.ts";

const TOKEN = "internal-token-for-tests-0123456789";

function guarded() {
  const app = new Hono();
  app.onError(errorHandler(createLogger({}, { silent: true })));
  app.use(internalAuth(TOKEN));
  app.get("/x", (c) => c.json({ ok: true }));
  return app;
}

describe("internalAuth (hono/bearer-auth in the house shape)", () => {
  test("no token 401, wrong token 403, malformed header 401, right token passes", async () => {
    const app = guarded();
    const none = await app.request("/x");
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: { code: "unauthorized", message: "internal token required" },
    });
    expect(none.headers.get("www-authenticate")).toStartWith("Bearer");

    const wrong = await app.request("/x", { headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("forbidden");

    const malformed = await app.request("/x", { headers: { authorization: "Basic abc" } });
    expect(malformed.status).toBe(401);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe("unauthorized");

    const ok = await app.request("/x", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
  });

  test("a secret that can never be sent as a bearer token fails at construction", () => {
    expect(() => bearerGuard("has spaces in it!", { what: "admin token" })).toThrow(/admin token/);
  });

  test("bearerToken reads the header's token or nothing", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
