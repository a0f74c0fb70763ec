import type { ChatMessage } from "@hearth/contracts/mini";
import { useEffect, useRef, useState } from "preact/hooks";
import { type ChatConnection, chatConnection } from "../client/chat-connection.ts";

export interface ChatProps {
  chatUrl: string;
  /** The stream key: given only by the broadcast page, from this browser's storage (never from the server). */
  moderatorKey?: string;
  /** A name to suggest in the picker. */
  suggestedName?: string;
}

const NAME_KEY = "hearth.chat.name";
type Line = { kind: "msg"; m: ChatMessage } | { kind: "sys"; id: string; text: string };

/** A stable colour per user id, so names are easy to tell apart. */
function hue(userId: string): number {
  let h = 0;
  for (const ch of userId) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

/** The chat panel: name picker, messages, inline errors, reconnect; moderation tools with a key. */
export default function Chat({ chatUrl, moderatorKey, suggestedName }: ChatProps) {
  const [lines, setLines] = useState<Line[]>([]);
  const [me, setMe] = useState<{ userId: string; name: string | null } | null>(null);
  const [status, setStatus] = useState("Connecting…");
  const [closed, setClosed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [isMod, setIsMod] = useState(false);
  const [slow, setSlow] = useState(0);
  const [viewers, setViewers] = useState<number | null>(null);
  const [draft, setDraft] = useState("");
  const [nameDraft, setNameDraft] = useState(suggestedName ?? "");
  const conn = useRef<ChatConnection | null>(null);
  const list = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const stored = localStorage.getItem(NAME_KEY);
    if (stored) setNameDraft(stored);
    const sys = (text: string) => (l: Line[]) => [
      ...l,
      { kind: "sys" as const, id: `s${Date.now()}${Math.random()}`, text },
    ];
    const c = chatConnection(chatUrl, {
      onStatus(s) {
        if (s.state === "open") setStatus("");
        else if (s.state === "connecting") setStatus(`Reconnecting in ${Math.ceil(s.retryInMs / 1000)}s…`);
        else {
          setStatus(s.reason);
          setClosed(true);
        }
      },
      onFrame(f) {
        switch (f.type) {
          case "hello":
            setMe({ userId: f.you.userId, name: f.you.name });
            setSlow(f.room.slowModeSeconds);
            setViewers(f.room.viewers);
            setLines(f.history.map((m) => ({ kind: "msg", m })));
            if (!f.you.name && stored) c.send({ type: "nick", name: stored });
            if (moderatorKey) c.send({ type: "auth", key: moderatorKey });
            break;
          case "message":
            setLines((l) => [...l.slice(-199), { kind: "msg", m: f.message }]);
            break;
          case "delete":
            setLines((l) => l.filter((x) => x.kind !== "msg" || x.m.id !== f.messageId));
            break;
          case "nick":
            setMe((m) => (m ? { ...m, name: f.name } : m));
            localStorage.setItem(NAME_KEY, f.name);
            c.setName(f.name);
            setError(null);
            break;
          case "join":
          case "leave":
            setViewers(f.viewers);
            break;
          case "slow":
            setSlow(f.seconds);
            setLines(
              sys(f.seconds > 0 ? `Slow mode: one message every ${f.seconds}s.` : "Slow mode is off."),
            );
            break;
          case "moderation":
            setLines(sys(f.until === null ? "A user was banned." : "A user was timed out."));
            break;
          case "auth_ok":
            setIsMod(true);
            break;
          case "error":
            setError(f.message);
            break;
          case "room_closed":
            setStatus("The stream ended; this chat is closed.");
            setClosed(true);
            break;
        }
      },
    });
    conn.current = c;
    return () => c.close();
  }, [chatUrl, moderatorKey]);

  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const send = (frame: Parameters<ChatConnection["send"]>[0]) => {
    if (!conn.current?.send(frame)) setError("Not connected; your message was not sent.");
  };
  const submitMessage = (e: Event) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setError(null);
    send({ type: "send", text });
    setDraft("");
  };
  const submitName = (e: Event) => {
    e.preventDefault();
    if (nameDraft.trim()) send({ type: "nick", name: nameDraft.trim() });
  };

  return (
    <section class="chat" aria-label="Stream chat" data-testid="chat">
      <header class="chat-head">
        <h2>Stream chat</h2>
        <span class="muted small">
          {viewers !== null && `${viewers} here`}
          {slow > 0 && ` · slow ${slow}s`}
        </span>
      </header>
      {isMod && (
        <div class="mod-bar">
          <span class="badge badge-mod">MOD</span>
          <label>
            Slow mode{" "}
            <select
              value={String(slow)}
              onChange={(e) => send({ type: "slow", seconds: Number(e.currentTarget.value) })}
            >
              <option value="0">Off</option>
              <option value="5">5s</option>
              <option value="30">30s</option>
              <option value="60">60s</option>
            </select>
          </label>
        </div>
      )}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be focusable so keyboard users can scroll it. */}
      <div class="chat-log" ref={list} role="log" aria-live="polite" aria-label="Messages" tabIndex={0}>
        <ol class="chat-lines">
          {lines.length === 0 && <li class="chat-sys">Welcome to the chat!</li>}
          {lines.map((l) =>
            l.kind === "sys" ? (
              <li key={l.id} class="chat-sys">
                {l.text}
              </li>
            ) : (
              <li key={l.m.id} class="chat-msg" data-message-id={l.m.id}>
                <span class="chat-name" style={{ color: `hsl(${hue(l.m.userId)} 80% 70%)` }}>
                  {l.m.name}
                </span>
                <span class="chat-text">{l.m.text}</span>
                {isMod && (
                  <span class="chat-tools">
                    <button
                      type="button"
                      onClick={() => send({ type: "delete", messageId: l.m.id })}
                      aria-label={`Delete message from ${l.m.name}`}
                    >
                      Delete
                    </button>
                    {l.m.userId !== me?.userId && (
                      <>
                        <button
                          type="button"
                          onClick={() => send({ type: "timeout", userId: l.m.userId, seconds: 600 })}
                          aria-label={`Time out ${l.m.name} for 10 minutes`}
                        >
                          Timeout
                        </button>
                        <button
                          type="button"
                          onClick={() => send({ type: "ban", userId: l.m.userId })}
                          aria-label={`Ban ${l.m.name}`}
                        >
                          Ban
                        </button>
                      </>
                    )}
                  </span>
                )}
              </li>
            ),
          )}
        </ol>
      </div>
      {status && (
        <p class="chat-status" role="status">
          {status}
        </p>
      )}
      {error && (
        <p class="chat-error" role="alert">
          {error}
        </p>
      )}
      {!closed &&
        (me?.name ? (
          <form class="chat-form" onSubmit={submitMessage}>
            <label class="sr-only" for="chat-input">
              Send a message as {me.name}
            </label>
            <input
              id="chat-input"
              value={draft}
              onInput={(e) => setDraft(e.currentTarget.value)}
              maxLength={500}
              placeholder={`Chat as ${me.name}`}
              autoComplete="off"
            />
            <button class="btn btn-primary" type="submit">
              Chat
            </button>
          </form>
        ) : (
          <form class="chat-form" onSubmit={submitName}>
            <label class="sr-only" for="chat-name">
              Pick a display name
            </label>
            <input
              id="chat-name"
              value={nameDraft}
              onInput={(e) => setNameDraft(e.currentTarget.value)}
              maxLength={25}
              placeholder="Pick a name to chat"
              autoComplete="nickname"
              disabled={!me}
            />
            <button class="btn btn-primary" type="submit" disabled={!me}>
              Join chat
            </button>
          </form>
        ))}
    </section>
  );
}
