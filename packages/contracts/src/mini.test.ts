import { describe, expect, test } from "bun:test";
import { type $ZodType, toJSONSchema } from "zod/v4/core";
import * as classic from "./index.ts";
import * as mini from "./mini.ts";

// Each body the browser parses with zod/mini, beside the classic schema the manager answers with.
const PAIRS: Array<[string, $ZodType, $ZodType]> = [
  ["PublicId", mini.PublicId, classic.PublicId],
  ["Rung", mini.Rung, classic.Rung],
  ["StreamSummary", mini.StreamSummary, classic.StreamSummary],
  ["StreamList", mini.StreamList, classic.StreamList],
  ["StartedStream", mini.StartedStream, classic.StartedStream],
  ["StreamLookup", mini.StreamLookup, classic.StreamLookup],
  ["WhipInfo", mini.WhipInfo, classic.WhipInfo],
  ["ErrorBody", mini.ErrorBody, classic.ErrorBody],
  ["StreamCreationPolicy", mini.StreamCreationPolicy, classic.StreamCreationPolicy],
  ["CreationTokenInfo", mini.CreationTokenInfo, classic.CreationTokenInfo],
  ["IssuedCreationToken", mini.IssuedCreationToken, classic.IssuedCreationToken],
  ["CreationTokenList", mini.CreationTokenList, classic.CreationTokenList],
  ["AdminNode", mini.AdminNode, classic.AdminNode],
  ["AdminStream", mini.AdminStream, classic.AdminStream],
  ["AdminOverview", mini.AdminOverview, classic.AdminOverview],
  ["Video", mini.Video, classic.Video],
  ["VideoList", mini.VideoList, classic.VideoList],
  ["Clip", mini.Clip, classic.Clip],
  ["ClipList", mini.ClipList, classic.ClipList],
  ["StreamSettings", mini.StreamSettings, classic.StreamSettings],
];

describe("the browser's zod/mini schemas are the manager's", () => {
  for (const [name, browser, server] of PAIRS) {
    test(`${name}: the same JSON Schema, for input and output`, () => {
      for (const io of ["input", "output"] as const) {
        expect(toJSONSchema(browser, { io })).toEqual(toJSONSchema(server, { io }));
      }
    });
  }

  test("the chat protocol is one definition: the package root re-exports the mini module's", () => {
    expect(classic.ChatServerFrame).toBe(mini.ChatServerFrame);
    expect(classic.ChatClientFrame).toBe(mini.ChatClientFrame);
  });

  test("a lookup parses the same on both sides, defaults included", () => {
    const body = {
      publicId: "abcdEFGH1234",
      name: "n",
      live: true,
      hlsUrl: "http://x/master.m3u8",
      chatUrl: "ws://x",
      rungs: [{ name: "720p", bandwidth: 2_800_000, width: 1280, height: 720 }],
    };
    expect(mini.StreamLookup.parse(body)).toEqual(classic.StreamLookup.parse(body));
    expect(mini.StreamLookup.safeParse({ ...body, publicId: "!" }).success).toBe(false);
  });
});
