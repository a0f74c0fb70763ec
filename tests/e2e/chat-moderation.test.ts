import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DatabaseHandle } from "@hearth/db";
import type { RunningApp } from "@hearth/server-kit";
import {
  ChatClient,
  capturingLogger,
  chatNode,
  freshDb,
  insertStream,
  internal,
  manager,
  until,
} from "./chat-harness.ts";

// Moderation against the real manager: the streamer's key is checked by POST /internal/keys/verify
// on a stream row in a real Postgres schema.
let db: { handle: DatabaseHandle; drop(): Promise<void> };
let mgr: { app: RunningApp; url: string };
let chat: { app: RunningApp; http: string; ws: string };
const logLines: string[] = [];

beforeAll(async () => {
  db = await freshDb();
  mgr = await manager(db.handle, capturingLogger(logLines, { svc: "manager" }));
  chat = await chatNode(
    db.handle,
    { MANAGER_INTERNAL_URL: mgr.url },
    capturingLogger(logLines, { svc: "chat" }),
  );
});

afterAll(async () => {
  await chat?.app.stop();
  await mgr?.app.stop();
  await db?.drop();
});

/** A stream known to the manager with its room open: public id, key, a moderator and a viewer. */
async function setup() {
  const { publicId, key } = await insertStream(db.handle);
  expect((await internal(chat.http, "POST", "/rooms", { publicId })).status).toBe(201);
  const mod = await ChatClient.join(chat.ws, publicId, { name: "streamer" });
  const viewer = await ChatClient.join(chat.ws, publicId, { name: "viewer" });
  return { publicId, key, mod, viewer };
}

async function authenticate(mod: ChatClient, key: string): Promise<void> {
  mod.send({ type: "auth", key });
  await mod.next("auth_ok");
}

describe("moderation", () => {
  test("only the right key makes a moderator, and the key is never shown to anyone", async () => {
    const { publicId, key, mod, viewer } = await setup();
    const other = await insertStream(db.handle);
    viewer.send({ type: "delete", messageId: "whatever" });
    await viewer.error("not_moderator");
    viewer.send({ type: "auth", key: other.key }); // a real key, but of another stream
    await viewer.error("auth_failed");
    viewer.send({ type: "auth", key: `${key}x` });
    await until(
      "two auth_failed",
      () => viewer.all("error").filter((e) => e.code === "auth_failed").length === 2,
    );
    viewer.send({ type: "slow", seconds: 5 });
    await until(
      "two not_moderator",
      () => viewer.all("error").filter((e) => e.code === "not_moderator").length === 2,
    );
    await authenticate(mod, key);
    mod.send({ type: "send", text: "hello chat" });
    await viewer.next("message");
    const late = await ChatClient.join(chat.ws, publicId);
    for (const c of [mod, viewer, late]) expect(JSON.stringify(c.frames)).not.toContain(key);
    const metrics = await (await fetch(`${chat.http}/metrics`)).text();
    expect(metrics).not.toContain(key);
    // The logs saw the moderator arrive, and never the key.
    expect(logLines.some((l) => l.includes("moderator joined"))).toBe(true);
    expect(logLines.join("\n")).not.toContain(key);
    for (const c of [mod, viewer, late]) c.close();
  });

  test("delete removes a message for everyone and from the history", async () => {
    const { publicId, key, mod, viewer } = await setup();
    await authenticate(mod, key);
    viewer.send({ type: "send", text: "keep me" });
    viewer.send({ type: "send", text: "delete me" });
    const doomed = (await mod.next("message", 2)).message;
    expect(doomed.text).toBe("delete me");
    mod.send({ type: "delete", messageId: doomed.id });
    expect((await viewer.next("delete")).messageId).toBe(doomed.id);
    mod.send({ type: "delete", messageId: "no-such-message" });
    await mod.error("not_found");
    const late = await ChatClient.join(chat.ws, publicId);
    expect(late.hello.history.map((m) => m.text)).toEqual(["keep me"]);
    // Also gone from the database, not just from this node's memory.
    for (const c of [mod, viewer, late]) c.close();
    await Promise.all([mod.closed, viewer.closed, late.closed]);
    await until(
      "room released",
      async () => !(await (await fetch(`${chat.http}/healthz`)).text()).includes('"rooms":1'),
    );
    const fresh = await ChatClient.join(chat.ws, publicId);
    expect(fresh.hello.history.map((m) => m.text)).toEqual(["keep me"]);
    fresh.close();
  });

  // When a time-out ends and slow mode's spacing are timed with an injected clock in
  // apps/chat/src/chat-hub.test.ts; here the real node, its database and reconnects.
  test("a time-out silences a user, even after reconnecting with their identity", async () => {
    const { publicId, key, mod, viewer } = await setup();
    await authenticate(mod, key);
    mod.send({ type: "timeout", userId: viewer.hello.you.userId, seconds: 600 });
    const note = await viewer.next("moderation");
    expect(note.userId).toBe(viewer.hello.you.userId);
    expect(note.until).toBeGreaterThan(Date.now());
    viewer.send({ type: "send", text: "can I talk?" });
    await viewer.error("timed_out");
    viewer.close();
    await viewer.closed;
    const back = await ChatClient.join(chat.ws, publicId, {
      identity: viewer.hello.you.identity,
      name: "viewer",
    });
    expect(back.hello.you.userId).toBe(viewer.hello.you.userId);
    back.send({ type: "send", text: "still timed out?" });
    await back.error("timed_out");
    // The moderator lifts it (an unban clears a time-out too) and the same identity talks again.
    mod.send({ type: "unban", userId: viewer.hello.you.userId });
    // The unban is stored before it is published, so the viewer tries until it lands (a refusal while timed out
    // is not a strike and spends no token).
    await until(
      "the time-out lifted",
      async () => {
        back.send({ type: "send", text: "free again" });
        await Bun.sleep(250);
        return mod.texts().includes("free again");
      },
      15_000,
    );
    expect(mod.all("message")[0]?.message).toMatchObject({
      text: "free again",
      userId: viewer.hello.you.userId,
    });
    mod.close();
    back.close();
  });

  test("a ban disconnects the user and holds across reconnects; a new name does not help", async () => {
    const { publicId, key, mod, viewer } = await setup();
    await authenticate(mod, key);
    mod.send({ type: "ban", userId: viewer.hello.you.userId });
    await viewer.error("banned");
    expect((await viewer.closed).code).toBe(4003);
    const identity = viewer.hello.you.identity;
    for (const name of ["viewer", "totally_new_name"]) {
      const again = new ChatClient(`${chat.ws}/rooms/${publicId}?name=${name}`, identity);
      await again.error("banned");
      expect((await again.closed).code).toBe(4003);
      expect(again.all("hello")).toEqual([]);
    }
    // A forged identity claiming the banned user id is not accepted: it gets a fresh id instead.
    const forged = await ChatClient.join(chat.ws, publicId, {
      identity: `${viewer.hello.you.userId}.forged`,
    });
    expect(forged.hello.you.userId).not.toBe(viewer.hello.you.userId);
    mod.send({ type: "unban", userId: viewer.hello.you.userId });
    await Bun.sleep(200);
    const forgiven = await ChatClient.join(chat.ws, publicId, { identity, name: "viewer" });
    forgiven.send({ type: "send", text: "thanks" });
    expect((await mod.next("message")).message.text).toBe("thanks");
    for (const c of [mod, forged, forgiven]) c.close();
  });

  test("slow mode: one message per N seconds per user, the moderator exempt; off again", async () => {
    const { key, mod, viewer } = await setup();
    await authenticate(mod, key);
    mod.send({ type: "slow", seconds: 600 });
    expect((await viewer.next("slow")).seconds).toBe(600);
    viewer.send({ type: "send", text: "first" });
    viewer.send({ type: "send", text: "second" });
    await viewer.error("slow_mode");
    mod.send({ type: "send", text: "mod 1" });
    mod.send({ type: "send", text: "mod 2" });
    await viewer.next("message", 3);
    expect(viewer.texts()).toEqual(["first", "mod 1", "mod 2"]);
    mod.send({ type: "slow", seconds: 0 });
    await viewer.next("slow", 2);
    viewer.send({ type: "send", text: "third" });
    viewer.send({ type: "send", text: "fourth" });
    await viewer.next("message", 5);
    expect(viewer.texts()).toEqual(["first", "mod 1", "mod 2", "third", "fourth"]);
    mod.close();
    viewer.close();
  });
});
