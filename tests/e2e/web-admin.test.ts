/**
 * The operator's page in Chromium on the real platform (manager with ADMIN_TOKEN and STREAM_CREATION=token,
 * chat, media, web) with an OBS-style publisher on a stream created with an invite: a wrong admin token is
 * refused and not kept; the right one (kept in this browser) lists the media node and the live stream with its
 * rungs, ends the stream, and issues and revokes an invite, after which a creation with it is refused.
 *
 * Needs the manager's admin API (GET /admin/overview, /admin/creation-tokens, POST /admin/streams/:id/stop;
 * shapes in packages/contracts/src/admin.ts), built beside this page by another branch.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { IssuedCreationToken, StartedStream, StreamLookup } from "@hearth/contracts";
import type { Browser, BrowserContext, Page } from "./support/chromium.ts";
import { startWebScene, until, type WebPlatform, type WebScene } from "./web-harness.ts";

const ADMIN_TOKEN = `admin-e2e-${crypto.randomUUID()}`;
const NODE_ID = "media-e2e-1";
const SHOTS = join(import.meta.dir, "..", "..", "artifacts", "screenshots");
let scene: WebScene;
let platform: WebPlatform;
let browser: Browser;
let operator: BrowserContext;
let page: Page;
let stream: StartedStream;
let publisher: Bun.Subprocess | undefined;

/** A call to the manager's admin API, as the operator's page makes it. */
function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${platform.managerUrl}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** POST /start_stream with an invite in the JSON body. */
function create(name: string, creationToken?: string): Promise<Response> {
  return fetch(`${platform.managerUrl}/start_stream`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, creationToken }),
  });
}

async function lookup(): Promise<StreamLookup | null> {
  const res = await fetch(`${platform.managerUrl}/stream/${stream.publicId}`);
  return res.status === 404 ? null : StreamLookup.parse(await res.json());
}

beforeAll(async () => {
  // A named media node heart-beats to the manager, so the operator sees it with its capacity.
  scene = await startWebScene({ ADMIN_TOKEN, STREAM_CREATION: "token", MEDIA_NODE_ID: NODE_ID });
  ({ platform, browser } = scene);
  operator = await browser.newContext();
  const invite = IssuedCreationToken.parse(
    await (await admin("POST", "/creation-tokens", { uses: 1 })).json(),
  );
  const res = await create("Operator test stream", invite.token);
  expect(res.status).toBe(201);
  stream = StartedStream.parse(await res.json());
  publisher = scene.publish(stream, { seconds: 300, width: 640, height: 360, videoKbps: 800 });
  await until("the stream to be live", 90_000, async () => (await lookup())?.live === true || undefined);
}, 150_000);

afterAll(() => scene?.stop(), 60_000);

describe("the operator's page", () => {
  test("a wrong admin token is refused and not kept", async () => {
    page = await operator.newPage();
    await page.goto(`${platform.webUrl}/admin`);
    await page.getByLabel("Admin token").fill("not-the-admin-token-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toContain("refused");
    await page.getByTestId("admin-sign-in").waitFor();
    expect(await page.getByTestId("admin").count()).toBe(0);
    expect(await page.evaluate(() => localStorage.getItem("hearth.admin.token"))).toBeNull();
  }, 60_000);

  test("the right token lists the node and the live stream with its rungs, and is kept in this browser", async () => {
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    const row = page.locator(`[data-testid=admin-streams] tr[data-public-id="${stream.publicId}"]`);
    await row.waitFor({ timeout: 20_000 });
    await until("the row to show the stream live with rungs", 30_000, async () => {
      const text = (await row.textContent()) ?? "";
      return (await row.getAttribute("data-live")) === "true" && /\d+p/.test(text) ? text : undefined;
    });
    expect(await row.getByTestId("ingest-health").textContent()).toBe("healthy");
    const node = page.locator(`[data-testid=admin-nodes] tr[data-node-id="${NODE_ID}"]`);
    await node.waitFor({ timeout: 20_000 });
    expect(await node.textContent()).toContain("healthy");
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "admin.png"), fullPage: true });
    await page.reload();
    await row.waitFor({ timeout: 20_000 });
    expect(await page.getByTestId("admin-sign-in").count()).toBe(0);
  }, 90_000);

  test("End stream ends it: the manager shows it offline and the publisher is let go", async () => {
    const row = page.locator(`[data-testid=admin-streams] tr[data-public-id="${stream.publicId}"]`);
    await row.getByRole("button", { name: `End stream ${stream.name}` }).click();
    await until("the manager to show the stream ended", 30_000, async () => {
      const l = await lookup();
      return l === null || !l.live ? true : undefined;
    });
    // Read in one step in the page: the row may leave between a count and a separate attribute read, which
    // would then wait for an element that no longer exists.
    await until("the row to leave the live list", 30_000, async () => {
      const live = await page.evaluate(
        (id) =>
          document
            .querySelector(`[data-testid=admin-streams] tr[data-public-id="${id}"]`)
            ?.getAttribute("data-live") ?? "gone",
        stream.publicId,
      );
      return live === "gone" || live === "false" ? true : undefined;
    });
    await until("the publisher to be disconnected", 30_000, () => publisher?.exitCode !== null || undefined);
  }, 90_000);

  test("an invite is issued (shown once) and revoked", async () => {
    await page.getByLabel("Label").fill("for the e2e streamer");
    await page.getByRole("button", { name: "Issue token" }).click();
    const issued = page.getByTestId("issued-token");
    await issued.waitFor({ timeout: 15_000 });
    const secret = (await issued.locator("code").textContent()) ?? "";
    expect(secret.length).toBeGreaterThan(10);
    const tokenRow = page.locator("[data-testid=admin-tokens] tbody tr", { hasText: "for the e2e streamer" });
    await tokenRow.waitFor({ timeout: 15_000 });
    expect(await tokenRow.textContent()).toContain("active");
    // The list never shows the secret; only the answer to the creation did.
    expect(await page.getByTestId("admin-tokens").textContent()).not.toContain(secret);
    await tokenRow.getByRole("button", { name: /Revoke/ }).click();
    await until("the token to show revoked", 15_000, async () =>
      (await tokenRow.textContent())?.includes("revoked") ? true : undefined,
    );
    // Revoked means refused: a creation with it fails with the manager's JSON error.
    const res = await create("with a revoked invite", secret);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("creation_token_invalid");
  }, 60_000);

  test("the broadcast page asks for the invite, sends it in the body (never the URL) and says why it was refused", async () => {
    const studio = await (await browser.newContext()).newPage();
    const creations: Array<{ url: string; body: string }> = [];
    studio.on("request", (r) => {
      if (r.method() === "POST" && r.url().includes("/start_stream"))
        creations.push({ url: r.url(), body: r.postData() ?? "" });
    });
    await studio.goto(`${platform.webUrl}/broadcast`);
    await studio.getByLabel("Stream title").fill("Invited stream");
    await studio.getByLabel("Invite token").fill("not-an-invite-anyone-issued");
    await studio.getByRole("button", { name: "Create stream" }).click();
    const alert = studio.getByRole("alert");
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toContain("Could not create the stream (403)");
    const invite = IssuedCreationToken.parse(
      await (await admin("POST", "/creation-tokens", { uses: 1 })).json(),
    );
    await studio.getByLabel("Invite token").fill(invite.token);
    await studio.getByRole("button", { name: "Create stream" }).click();
    await studio.locator(".studio[data-public-id]").waitFor({ timeout: 15_000 });
    expect(creations.length).toBe(2);
    for (const c of creations) expect(new URL(c.url).search).toBe("");
    expect(JSON.parse(creations[1]?.body ?? "{}")).toEqual({
      name: "Invited stream",
      creationToken: invite.token,
    });
    await studio.context().close();
  }, 60_000);

  test("no app logged the admin token", () => {
    for (const [app, lines] of Object.entries(platform.logs)) {
      expect({ app, leaked: lines.some((l) => l.includes(ADMIN_TOKEN)) }).toEqual({ app, leaked: false });
    }
  });
});
