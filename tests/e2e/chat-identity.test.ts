/**
 * The chat identity stays out of every URL, and one address cannot hold more than its share of sockets,
 * on the real platform with the watch page in Chromium:
 * - the page's WebSocket URLs (what a proxy logs) never carry the identity, yet a reload keeps the same
 *   user (the identity went as a subprotocol) and no app logged it;
 * - with CHAT_MAX_CONNECTIONS_PER_IP=N, N sockets from one address open and the N+1th is refused (429 before
 *   the upgrade), logged and counted in the chat node's /metrics; a freed slot can be used again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ChatServerFrame, StartedStream } from "@hearth/contracts";
import { ChatClient } from "./chat-harness.ts";
import type { Browser, Page } from "./support/chromium.ts";
import { startWebScene, until, type WebPlatform, type WebScene } from "./web-harness.ts";

const CAP = 4;
let scene: WebScene;
let platform: WebPlatform;
let browser: Browser;
let stream: StartedStream;

beforeAll(async () => {
  scene = await startWebScene({ CHAT_MAX_CONNECTIONS_PER_IP: String(CAP) });
  ({ platform, browser } = scene);
  stream = await scene.createStream("Identity check");
}, 90_000);

afterAll(() => scene?.stop(), 60_000);

/** Every chat WebSocket a page opens: its URL and the hello frames it received. */
function recordSockets(page: Page) {
  const urls: string[] = [];
  const hellos: Array<Extract<ChatServerFrame, { type: "hello" }>> = [];
  page.on("websocket", (ws) => {
    urls.push(ws.url());
    ws.on("framereceived", ({ payload }) => {
      const f = JSON.parse(String(payload)) as ChatServerFrame;
      if (f.type === "hello") hellos.push(f);
    });
  });
  return { urls, hellos };
}

describe("chat identity and connection limits", () => {
  test("the identity never appears in a WebSocket URL or a log line, yet a reload keeps the same user", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = recordSockets(page);
    await page.goto(`${platform.webUrl}/watch/${stream.publicId}`);
    await until("the first hello", 20_000, () => seen.hellos.length >= 1 || undefined);
    await page.getByPlaceholder("Pick a name to chat").fill("returning_viewer");
    await page.getByRole("button", { name: "Join chat" }).click();
    await page.getByPlaceholder("Chat as returning_viewer").waitFor({ timeout: 15_000 });
    const first = seen.hellos[0]?.you;
    if (!first) throw new Error("no hello");
    await page.reload();
    await until("the hello after the reload", 20_000, () => seen.hellos.length >= 2 || undefined);
    const second = seen.hellos[1]?.you;
    // The same person (bans and time-outs follow them), and the name came back too.
    expect(second?.userId).toBe(first.userId);
    expect(second?.identity).toBe(first.identity);
    expect(seen.urls.length).toBeGreaterThanOrEqual(2);
    for (const url of seen.urls) {
      expect(url).not.toContain(first.identity);
      expect(url).not.toContain(encodeURIComponent(first.identity));
      expect(new URL(url).searchParams.has("identity")).toBe(false);
    }
    for (const [app, lines] of Object.entries(platform.logs)) {
      expect({ app, leaked: lines.some((l) => l.includes(first.identity)) }).toEqual({ app, leaked: false });
    }
    await context.close();
  }, 90_000);

  test(`one address holds at most ${CAP} chat sockets: the next is refused, logged and counted`, async () => {
    const ws = platform.chatUrl.replace("http", "ws");
    // The browser of the test before has let go of its sockets.
    await until("no open chat sockets", 20_000, async () =>
      /^chat_client_addresses 0$/m.test(await (await fetch(`${platform.chatUrl}/metrics`)).text()),
    );
    const clients: ChatClient[] = [];
    for (let i = 0; i < CAP; i++) clients.push(await ChatClient.join(ws, stream.publicId));
    const refused = new ChatClient(`${ws}/rooms/${stream.publicId}`);
    await expect(refused.opened).rejects.toThrow();
    expect(refused.all("hello")).toEqual([]);
    const metrics = await (await fetch(`${platform.chatUrl}/metrics`)).text();
    expect(metrics).toMatch(/^chat_connections_refused_total\{reason="per_ip_limit"\} 1$/m);
    expect(platform.logs.chat?.some((l) => l.includes("per-address limit"))).toBe(true);
    // A freed slot is available again.
    const leaving = clients.pop() as ChatClient;
    leaving.close();
    await leaving.closed;
    const again = await until("a slot to be free again", 10_000, async () => {
      const c = new ChatClient(`${ws}/rooms/${stream.publicId}`);
      try {
        await c.opened;
        await c.next("hello");
        return c;
      } catch {
        return undefined;
      }
    });
    clients.push(again);
    for (const c of clients) c.close();
  }, 60_000);
});
