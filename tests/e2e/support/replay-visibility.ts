/**
 * What a viewer of the video page sees of the chat replay: a sampler in the page records when each replayed
 * message turns visible or hidden, with the player's state then. Whatever the page does (render on time, or hide
 * what lies ahead), what is visible is what counts.
 */
import type { Page } from "./chromium.ts";

/** One change of a message's visibility, with the video's time, the player's playing date and paused state. */
export type Seen = { text: string; visible: boolean; t: number; wall: number; paused: boolean };

/**
 * Starts sampling, every `everyMs`, the messages matching `message` whose text holds one of `texts`; `player`
 * is the element whose `data-wall-ms` is the playing date.
 */
export async function watchReplay(
  page: Page,
  texts: string[],
  o: { message: string; player: string; everyMs: number },
): Promise<void> {
  await page.evaluate(
    ([sel, playerSel, tokens, every]) => {
      const w = window as unknown as { replaySeen: Seen[] };
      w.replaySeen = [];
      const state = new Map<string, boolean>();
      setInterval(() => {
        const v = document.querySelector("video");
        const wall = document.querySelector<HTMLElement>(playerSel as string)?.dataset.wallMs ?? "";
        const els = [...document.querySelectorAll<HTMLElement>(sel as string)];
        for (const text of tokens as string[]) {
          const el = els.find((e) => e.textContent?.includes(text));
          const visible = el?.checkVisibility() === true && el.getClientRects().length > 0;
          if ((state.get(text) ?? false) !== visible) {
            state.set(text, visible);
            w.replaySeen.push({
              text,
              visible,
              t: v?.currentTime ?? -1,
              wall: wall === "" ? Number.NaN : Number(wall),
              paused: v?.paused ?? true,
            });
          }
        }
      }, every as number);
    },
    [o.message, o.player, texts, o.everyMs] as const,
  );
}

/** The changes recorded so far, in order. */
export function seenSoFar(page: Page): Promise<Seen[]> {
  return page.evaluate(() => (window as unknown as { replaySeen: Seen[] }).replaySeen.slice());
}
