import { type ChatMessage, ChatReplay as ChatReplayPage } from "@hearth/contracts/mini";
import { useEffect, useRef, useState } from "preact/hooks";
import { PLAYBACK_EVENT, type PlaybackDetail } from "../client/playback-clock.ts";
import { addPage, emptyReplay, needsPage, pageUrl, resumeUrl, shownCount } from "../shared/replay-buffer.ts";

export interface ChatReplayProps {
  /** Video.chatReplayUrl: the broadcast's chat (ChatReplay pages, `after=<next>` for more). */
  replayUrl: string;
  /** The video is still recording: its chat grows, so the end of the range is asked again now and then. */
  growing?: boolean;
  /** How often a growing chat is asked again. */
  refreshMs?: number;
}

/** Pages are asked for while the loaded chat reaches less than this far past the position. */
const AHEAD_MS = 60_000;
/** The log keeps the latest this many messages on screen. */
const SHOWN = 200;

/**
 * The broadcast's chat beside its video, in step with playback: the player publishes the wall time of the
 * frame on screen (`hearth:playback`), and the messages sent up to then are shown, through pauses and seeks.
 */
export default function ChatReplay(props: ChatReplayProps) {
  const [buf, setBuf] = useState(emptyReplay<ChatMessage>);
  const [wallMs, setWallMs] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const loading = useRef(false);
  const retry = useRef<ReturnType<typeof setTimeout>>(undefined);
  const log = useRef<HTMLOListElement>(null);

  useEffect(() => {
    const on = (e: Event) => setWallMs((e as CustomEvent<PlaybackDetail>).detail.wallMs);
    document.addEventListener(PLAYBACK_EVENT, on);
    return () => document.removeEventListener(PLAYBACK_EVENT, on);
  }, []);

  // One page at a time, in order, while the position needs more (a seek forward asks for the pages between).
  // A failed page blocks the next tries for a few seconds (not at every playback tick).
  useEffect(() => {
    if (loading.current || !needsPage(buf, wallMs ?? 0, AHEAD_MS)) return;
    loading.current = true;
    fetch(pageUrl(props.replayUrl, buf.next))
      .then(async (res) => {
        if (!res.ok) throw new Error(`the chat replay answered ${res.status}`);
        const page = ChatReplayPage.safeParse(await res.json());
        if (!page.success) throw new Error("the chat replay does not match the contract");
        setError(null);
        loading.current = false;
        setBuf((cur) => addPage(cur, page.data));
      })
      .catch((err: Error) => {
        setError(err.message);
        retry.current = setTimeout(() => {
          loading.current = false;
          setAttempt((n) => n + 1);
        }, 3000);
      });
  }, [buf, wallMs, attempt, props.replayUrl]);
  useEffect(() => () => clearTimeout(retry.current), []);

  // A broadcast still on air: once its range is read to the end, ask again from the last message on.
  const latest = useRef(buf.messages);
  latest.current = buf.messages;
  const atEnd = buf.started && buf.next === null;
  useEffect(() => {
    if (!props.growing || !atEnd) return;
    const timer = setInterval(() => {
      if (loading.current) return;
      loading.current = true;
      fetch(resumeUrl(props.replayUrl, latest.current))
        .then(async (res) => {
          const page = res.ok ? ChatReplayPage.safeParse(await res.json()) : null;
          if (page?.success) setBuf((cur) => addPage(cur, page.data));
        })
        .catch(() => {}) // the next tick asks again
        .finally(() => {
          loading.current = false;
        });
    }, props.refreshMs ?? 5000);
    return () => clearInterval(timer);
  }, [props.growing, atEnd, props.replayUrl, props.refreshMs]);

  const count = wallMs === null ? 0 : shownCount(buf.messages, wallMs);
  const shown = buf.messages.slice(Math.max(0, count - SHOWN), count);
  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [count]);

  return (
    <section class="chat chat-replay" aria-labelledby="replay-h" data-testid="chat-replay">
      <div class="chat-head">
        <h2 id="replay-h">Chat replay</h2>
      </div>
      <ol class="chat-log" ref={log} aria-live="off" data-testid="replay-log" data-shown={count}>
        {shown.map((m) => (
          <li key={m.id} class="chat-msg" data-testid="replay-message" data-ts={m.ts}>
            <span class="chat-name">{m.name}</span> <span class="chat-text">{m.text}</span>
          </li>
        ))}
      </ol>
      {error && (
        <p class="chat-error" role="status">
          {`Could not load the chat replay (${error}). Retrying…`}
        </p>
      )}
      {wallMs === null && <p class="chat-status muted small">The chat plays along with the video.</p>}
    </section>
  );
}
