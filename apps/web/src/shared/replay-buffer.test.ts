import { describe, expect, test } from "bun:test";
import {
  addPage,
  emptyReplay,
  needsPage,
  pageUrl,
  type ReplayMessage,
  resumeUrl,
  shownCount,
} from "./replay-buffer.ts";

const msg = (id: string, ts: number): ReplayMessage => ({ id, ts });

describe("chat replay buffer", () => {
  test("an empty buffer needs its first page, asked without a cursor", () => {
    const buf = emptyReplay();
    expect(needsPage(buf, 0, 30_000)).toBe(true);
    expect(pageUrl("http://chat/rooms/x/replay?from=1&to=2", null)).toBe(
      "http://chat/rooms/x/replay?from=1&to=2",
    );
  });

  test("shows the messages sent at or before the position, through seeks back and forward", () => {
    const buf = addPage(emptyReplay(), {
      messages: [msg("a", 100), msg("b", 200), msg("c", 200), msg("d", 500)],
      next: null,
    });
    expect(shownCount(buf.messages, 99)).toBe(0);
    expect(shownCount(buf.messages, 200)).toBe(3);
    expect(shownCount(buf.messages, 499)).toBe(3);
    expect(shownCount(buf.messages, 10_000)).toBe(4);
    // Back again: the count is a function of the position only.
    expect(shownCount(buf.messages, 150)).toBe(1);
    expect(needsPage(buf, 10_000, 30_000)).toBe(false);
  });

  test("loads the next page while the loaded messages do not reach past the position", () => {
    let buf = addPage(emptyReplay<ReplayMessage>(), {
      messages: [msg("a", 1000), msg("b", 2000)],
      next: "cur1",
    });
    expect(needsPage(buf, 0, 500)).toBe(false);
    expect(needsPage(buf, 1600, 500)).toBe(true);
    // A seek far forward keeps asking until the buffer covers it (pages in order, none skipped).
    expect(needsPage(buf, 60_000, 500)).toBe(true);
    expect(pageUrl("http://chat/rooms/x/replay?from=1&to=2", "cur1")).toBe(
      "http://chat/rooms/x/replay?from=1&to=2&after=cur1",
    );
    buf = addPage(buf, { messages: [msg("b", 2000), msg("c", 61_000)], next: "cur/2" });
    expect(buf.messages.map((m) => m.id)).toEqual(["a", "b", "c"]);
    expect(needsPage(buf, 60_000, 500)).toBe(false);
    expect(pageUrl("http://chat/replay?from=1", "cur/2")).toBe("http://chat/replay?from=1&after=cur%2F2");
    // A page with nothing new and no cursor ends the range.
    buf = addPage(buf, { messages: [], next: null });
    expect(needsPage(buf, 1e12, 500)).toBe(false);
  });

  test("an out-of-order page is merged in server-time order", () => {
    const buf = addPage(addPage(emptyReplay<ReplayMessage>(), { messages: [msg("b", 300)], next: "x" }), {
      messages: [msg("a", 100)],
      next: null,
    });
    expect(buf.messages.map((m) => m.id)).toEqual(["a", "b"]);
  });
});

test("a recording's chat is asked again from its last loaded message; the repeat is dropped by id", () => {
  let buf = addPage(emptyReplay<ReplayMessage>(), { messages: [msg("a", 1000), msg("b", 2000)], next: null });
  expect(resumeUrl("http://chat/rooms/x/replay?from=500", buf.messages)).toBe(
    "http://chat/rooms/x/replay?from=2000",
  );
  expect(resumeUrl("http://chat/rooms/x/replay?from=500", [])).toBe("http://chat/rooms/x/replay?from=500");
  buf = addPage(buf, { messages: [msg("b", 2000), msg("c", 2500)], next: null });
  expect(buf.messages.map((m) => m.id)).toEqual(["a", "b", "c"]);
});
