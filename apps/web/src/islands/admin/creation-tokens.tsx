import type { CreationTokenInfo, IssuedCreationToken } from "@hearth/contracts/mini";
import { useState } from "preact/hooks";
import { AdminTable } from "./admin-table.tsx";

export interface CreationTokensProps {
  tokens: CreationTokenInfo[];
  /** The token just issued: its secret is shown once, here. */
  issued: IssuedCreationToken | null;
  onIssue(o: { label: string; uses: number | null; expiresInSeconds: number | null }): void;
  onRevoke(t: CreationTokenInfo): void;
}

function state(t: CreationTokenInfo, now: number): string {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return "expired";
  if (t.usesLeft === 0) return "used up";
  return "active";
}

/** Invites for STREAM_CREATION=token: issue one (uses, expiry), see each one's state, revoke. */
export function CreationTokens({ tokens, issued, onIssue, onRevoke }: CreationTokensProps) {
  const [label, setLabel] = useState("");
  const [uses, setUses] = useState("1");
  const [days, setDays] = useState("7");
  const submit = (e: Event) => {
    e.preventDefault();
    onIssue({
      label: label.trim(),
      uses: uses === "" ? null : Number(uses),
      expiresInSeconds: days === "" ? null : Math.round(Number(days) * 86_400),
    });
  };
  const now = Date.now();
  return (
    <>
      <form class="admin-form" onSubmit={submit} data-testid="issue-token">
        <label>
          Label
          <input
            value={label}
            maxLength={80}
            onInput={(e) => setLabel(e.currentTarget.value)}
            placeholder="for Ana"
          />
        </label>
        <label>
          Uses (empty: unlimited)
          <input type="number" min={1} value={uses} onInput={(e) => setUses(e.currentTarget.value)} />
        </label>
        <label>
          Expires in days (empty: never)
          <input
            type="number"
            min={1}
            max={366}
            value={days}
            onInput={(e) => setDays(e.currentTarget.value)}
          />
        </label>
        <button class="btn btn-primary" type="submit">
          Issue token
        </button>
      </form>
      {issued && (
        <p class="notice" role="status" data-testid="issued-token">
          New token for {issued.label || "(no label)"}: <code>{issued.token}</code> — copy it now; it is not
          shown again.
        </p>
      )}
      {tokens.length === 0 ? (
        <p class="muted">No creation tokens yet.</p>
      ) : (
        <AdminTable testId="admin-tokens" columns={["Label", "State", "Uses left", "Expires"]} actions>
          {tokens.map((t) => (
            <tr key={t.id} data-token-id={t.id}>
              <td>{t.label || "—"}</td>
              <td>{state(t, now)}</td>
              <td>{t.usesLeft ?? "unlimited"}</td>
              <td>{t.expiresAt ? new Date(t.expiresAt).toLocaleString() : "never"}</td>
              <td>
                {!t.revokedAt && (
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={() => onRevoke(t)}
                    aria-label={`Revoke token ${t.label || t.id}`}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
    </>
  );
}
