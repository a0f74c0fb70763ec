import type {
  AdminOverview,
  AdminStream,
  CreationTokenInfo,
  IssuedCreationToken,
} from "@hearth/contracts/mini";
import { useCallback, useEffect, useState } from "preact/hooks";
import { AdminError, adminApi, loadAdminToken, saveAdminToken } from "../client/admin-api.ts";
import { CreationTokens } from "./admin/creation-tokens.tsx";
import { NodesTable } from "./admin/nodes-table.tsx";
import { StreamsTable } from "./admin/streams-table.tsx";
import { ErrorNotice } from "./form/error-notice.tsx";
import { InlineField } from "./form/inline-field.tsx";

export interface AdminProps {
  managerUrl: string;
  refreshMs?: number;
}

/** The operator's page: sign in with the admin token once (kept in this browser), then nodes, streams, invites. */
export default function Admin({ managerUrl, refreshMs }: AdminProps) {
  const [token, setToken] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [draft, setDraft] = useState("");
  const [overview, setOverview] = useState<AdminOverview | null>(null);
  const [tokens, setTokens] = useState<CreationTokenInfo[]>([]);
  const [issued, setIssued] = useState<IssuedCreationToken | null>(null);
  const [ending, setEnding] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setToken(loadAdminToken());
    setLoaded(true);
  }, []);

  /** Runs an admin call; a 401 forgets the token and asks for it again. */
  const guard = useCallback(async (what: () => Promise<void>) => {
    try {
      await what();
      setError(null);
    } catch (err) {
      const e = err as Error;
      if (e instanceof AdminError && e.status === 401) {
        saveAdminToken(null);
        setToken(null);
        setOverview(null);
      }
      setError(e.message);
    }
  }, []);

  const refresh = useCallback(async () => {
    if (!token) return;
    const api = adminApi(managerUrl, token);
    await guard(async () => {
      const [o, t] = await Promise.all([api.overview(), api.tokens()]);
      setOverview(o);
      setTokens(t.tokens);
    });
  }, [managerUrl, token, guard]);

  useEffect(() => {
    if (!token) return;
    void refresh();
    const timer = setInterval(() => void refresh(), refreshMs ?? 5000);
    return () => clearInterval(timer);
  }, [token, refresh, refreshMs]);

  if (!loaded) return <p class="muted">Loading…</p>;
  if (!token) {
    const signIn = (e: Event) => {
      e.preventDefault();
      const t = draft.trim();
      if (!t) return;
      saveAdminToken(t);
      setDraft("");
      setError(null);
      setToken(t);
    };
    return (
      <form class="panel" onSubmit={signIn} data-testid="admin-sign-in">
        <h2>Operator sign-in</h2>
        <p class="muted">
          Enter the instance's ADMIN_TOKEN. It is kept in this browser only and sent only to the manager.
        </p>
        <InlineField
          id="admin-token"
          label="Admin token"
          value={draft}
          onValue={setDraft}
          submit="Sign in"
          secret
        />
        <ErrorNotice error={error} />
      </form>
    );
  }

  const api = adminApi(managerUrl, token);
  const end = (s: AdminStream) =>
    void guard(async () => {
      setEnding((cur) => new Set(cur).add(s.publicId));
      try {
        await api.stopStream(s.publicId);
      } finally {
        setEnding((cur) => {
          const next = new Set(cur);
          next.delete(s.publicId);
          return next;
        });
      }
      await refresh();
    });
  const issue = (o: { label: string; uses: number | null; expiresInSeconds: number | null }) =>
    void guard(async () => {
      setIssued(await api.issueToken(o));
      await refresh();
    });
  const revoke = (t: CreationTokenInfo) =>
    void guard(async () => {
      await api.revokeToken(t.id);
      await refresh();
    });
  const signOut = () => {
    saveAdminToken(null);
    setToken(null);
    setOverview(null);
  };

  return (
    <div class="admin" data-testid="admin">
      <div class="admin-head">
        <p class="muted">
          {overview ? (
            <>
              Stream creation: <strong data-testid="admin-policy">{overview.policy}</strong>
            </>
          ) : (
            "Loading…"
          )}
        </p>
        <span class="spacer" />
        <button type="button" class="btn btn-ghost btn-small" onClick={signOut}>
          Forget the token
        </button>
      </div>
      <ErrorNotice error={error} />
      <section aria-labelledby="nodes-h">
        <h2 id="nodes-h" class="section-title">
          Media nodes
        </h2>
        {overview && <NodesTable nodes={overview.nodes} />}
      </section>
      <section aria-labelledby="streams-h">
        <h2 id="streams-h" class="section-title">
          Streams
        </h2>
        {overview && <StreamsTable streams={overview.streams} ending={ending} onEnd={end} />}
      </section>
      <section aria-labelledby="tokens-h">
        <h2 id="tokens-h" class="section-title">
          Creation tokens
        </h2>
        <CreationTokens tokens={tokens} issued={issued} onIssue={issue} onRevoke={revoke} />
      </section>
    </div>
  );
}
