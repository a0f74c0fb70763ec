/**
 * Shared pieces of the chat e2e suites: a fresh Postgres schema, the real manager (for key checks),
 * chat nodes in-process or as child processes, and a WebSocket client that records every frame.
 */
import { createHash, randomBytes } from "node:crypto";
import { type ChatServerFrame, chatSubprotocols, ChatServerFrame as ServerFrame } from "@hearth/contracts";
import { type DatabaseHandle, openDatabase, streams } from "@hearth/db";
import { createLogger, type Logger, type RunningApp } from "@hearth/server-kit";
import { start as startChat } from "../../apps/chat/src/main.ts";
import { start as startManager } from "../../apps/manager/src/main.ts";
import { NO_CREATION_LIMITS } from "./support/creation-limits.ts";
import { until as pollUntil } from "./support/until.ts";

export { capturingLogger } from "./support/capturing-logger.ts";

export const PG_URL = "postgres://postgres@127.0.0.1:5432/test";
export const INTERNAL_TOKEN = "test-internal-token-0123456789";
const silent = createLogger({}, { silent: true });

/** A migrated database in a schema of its own; drop() removes it. */
export async function freshDb(): Promise<{ handle: DatabaseHandle; schema: string; drop(): Promise<void> }> {
  const schema = `t_chat_${randomBytes(5).toString("hex")}`;
  const handle = await openDatabase({ url: PG_URL, schema, max: 4 });
  await handle.migrate();
  return {
    handle,
    schema,
    async drop() {
      await handle.close();
      const admin = await openDatabase({ url: PG_URL, max: 1 });
      await admin.db.execute(`drop schema if exists "${schema}" cascade`);
      await admin.close();
    },
  };
}

/** A stream row as the manager would have written it; returns its public and private ids. */
export async function insertStream(db: DatabaseHandle): Promise<{ publicId: string; key: string }> {
  const publicId = randomBytes(9).toString("base64url");
  const key = `live_${randomBytes(24).toString("base64url")}`;
  await db.db.insert(streams).values({
    publicId,
    name: "test stream",
    keyHash: createHash("sha256").update(key).digest("hex"),
    rtmpServer: "rtmp://127.0.0.1/live",
    whipUrl: "http://127.0.0.1/whip",
    hlsUrl: "http://127.0.0.1/hls",
    chatUrl: "ws://127.0.0.1/rooms",
  });
  return { publicId, key };
}

/** The real manager on a free port, sharing the test database. */
export async function manager(
  db: DatabaseHandle,
  logger: Logger = silent,
): Promise<{ app: RunningApp; url: string }> {
  const app = await startManager({
    env: {
      ...NO_CREATION_LIMITS,
      MANAGER_PORT: "0",
      BIND_HOST: "127.0.0.1",
      INTERNAL_TOKEN,
      COUNTS_POLL_MS: "60000",
    },
    logger,
    db,
  });
  const url = (app.urls.API ?? "").replace("localhost", "127.0.0.1");
  return { app, url };
}

/** A chat node in this process on a free port. */
export async function chatNode(
  db: DatabaseHandle,
  env: Record<string, string>,
  logger: Logger = silent,
): Promise<{ app: RunningApp; http: string; ws: string }> {
  const app = await startChat({
    env: { CHAT_PORT: "0", BIND_HOST: "127.0.0.1", INTERNAL_TOKEN, ...env },
    logger,
    db,
  });
  const port = new URL((app.urls.metrics ?? "").replace("localhost", "127.0.0.1")).port;
  return { app, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` };
}

/** Calls a chat node's internal API. */
export async function internal(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${base}/internal${path}`, {
    method,
    headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Polls until `check` passes or `ms` run out (then throws with `what`): the suite's one `until`, chat's argument order. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  await pollUntil(what, ms, check, 20);
}

/** A WebSocket client that keeps every frame it receives, each checked against the protocol schema. */
export class ChatClient {
  readonly frames: ChatServerFrame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  closeCode: number | undefined;

  /** Connects to `url`; an identity is offered as a subprotocol, as the web client does (never in the URL). */
  constructor(url: string, identity?: string) {
    this.ws = new WebSocket(url, chatSubprotocols(identity));
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve(), { once: true });
      this.ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
    this.closed = new Promise((resolve) =>
      this.ws.addEventListener("close", (e) => {
        this.closeCode = e.code;
        resolve({ code: e.code, reason: e.reason });
      }),
    );
    this.ws.addEventListener("message", (e) => {
      // A frame outside the protocol fails the test that waits for it, loudly.
      this.frames.push(ServerFrame.parse(JSON.parse(String(e.data))));
    });
  }

  /** Connects (with a display name and an identity when given) and waits for `hello`. */
  static async join(
    base: string,
    publicId: string,
    o: { name?: string; identity?: string } = {},
  ): Promise<ChatClient> {
    const qs = o.name ? `?${new URLSearchParams({ name: o.name })}` : "";
    const c = new ChatClient(`${base}/rooms/${publicId}${qs}`, o.identity);
    await c.opened;
    await c.next("hello");
    return c;
  }

  get hello(): Extract<ChatServerFrame, { type: "hello" }> {
    const h = this.all("hello")[0];
    if (!h) throw new Error("no hello yet");
    return h;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ v: 1, ...frame }));
  }

  /** Frames of one type received so far. */
  all<T extends ChatServerFrame["type"]>(type: T): Extract<ChatServerFrame, { type: T }>[] {
    return this.frames.filter((f): f is Extract<ChatServerFrame, { type: T }> => f.type === type);
  }

  /** Texts of the messages received so far, in order. */
  texts(): string[] {
    return this.all("message").map((m) => m.message.text);
  }

  /** Waits for the n-th (1-based, counting from the start) frame of a type. */
  async next<T extends ChatServerFrame["type"]>(
    type: T,
    n = 1,
    ms = 5000,
  ): Promise<Extract<ChatServerFrame, { type: T }>> {
    await until(`${n} ${type} frame(s)`, () => this.all(type).length >= n, ms);
    return this.all(type)[n - 1] as Extract<ChatServerFrame, { type: T }>;
  }

  /** Waits for an error frame with this code (counting all received so far). */
  async error(code: string, ms = 5000): Promise<void> {
    await until(`error ${code}`, () => this.all("error").some((e) => e.code === code), ms);
  }

  close(): void {
    this.ws.close();
  }
}
