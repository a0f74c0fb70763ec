import { describe, expect, test } from "bun:test";
import { formatDate, formatDuration, retryAfterText } from "./format.ts";

describe("retryAfterText", () => {
  test("seconds become a sentence in s, min or h", () => {
    expect(retryAfterText("20")).toBe("try again in 20 s");
    expect(retryAfterText("300")).toBe("try again in 5 min");
    expect(retryAfterText("3599")).toBe("try again in 60 min");
    expect(retryAfterText("7200")).toBe("try again in 2 h");
  });
  test("an HTTP date is counted from now", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterText("Thu, 01 Jan 2026 00:10:00 GMT", now)).toBe("try again in 10 min");
  });
  test("absent, past or unreadable: nothing", () => {
    expect(retryAfterText(null)).toBe("");
    expect(retryAfterText("soon")).toBe("");
    expect(retryAfterText("Thu, 01 Jan 2026 00:10:00 GMT", Date.parse("2026-02-01T00:00:00Z"))).toBe("");
  });
});

describe("formatDuration and formatDate", () => {
  test("a length reads as m:ss or h:mm:ss", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(29.6)).toBe("0:30");
    expect(formatDuration(245)).toBe("4:05");
    expect(formatDuration(3723)).toBe("1:02:03");
  });
  test("a date reads the same wherever it is rendered (UTC)", () => {
    expect(formatDate("2026-11-28T23:59:00.000Z")).toBe("Nov 28, 2026");
    expect(formatDate("garbage")).toBe("");
  });
});
