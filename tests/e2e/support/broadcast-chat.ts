/**
 * Chat on a live broadcast as the recording suites drive it: clients join the stream's room, say things at known
 * moments and get each message back as the room stored it (its id and server time), to check the replay against.
 */
import type { ChatMessage, StartedStream } from "@hearth/contracts";
import { ChatClient } from "../chat-harness.ts";
import { until } from "./until.ts";

/** A short random token: a text carrying one is found among every echo in the room. */
export const chatToken = (): string => Math.random().toString(36).slice(2, 8);

/** The clients a suite opened (closeAll() at its end). */
export class BroadcastChat {
  readonly #clients: ChatClient[] = [];

  /** Connects `name` to the stream's chat room and waits for hello. */
  async join(s: StartedStream, name: string): Promise<ChatClient> {
    const c = new ChatClient(`${s.chatUrl}?${new URLSearchParams({ name })}`);
    this.#clients.push(c);
    await c.opened;
    await c.next("hello");
    return c;
  }

  /** Sends `text` and returns the message as stored (its id and server time), as the room broadcast it. */
  async say(c: ChatClient, text: string): Promise<ChatMessage> {
    c.send({ type: "send", text });
    // Texts carry a random token: the one with this text is ours.
    const echo = await until(`the echo of "${text}"`, 20_000, () =>
      c.all("message").find((m) => m.message.text === text),
    ).catch((err: Error) => {
      throw new Error(`${err.message}; frames: ${JSON.stringify(c.frames.slice(-5))}`);
    });
    return echo.message;
  }

  closeAll(): void {
    for (const c of this.#clients) c.close();
  }
}
