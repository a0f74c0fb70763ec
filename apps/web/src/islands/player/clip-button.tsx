import { useState } from "preact/hooks";
import { type ClipRequest, createClip } from "../../client/manager-calls.ts";

/**
 * The Clip button: asks for the request at the moment of the click (the frame on screen), posts it, and shows
 * the new clip's link or why it was refused (a 429 says when to try again).
 */
export function ClipButton({
  managerUrl,
  request,
}: {
  managerUrl: string;
  /** The clip to ask for now; null when there is nothing to clip yet (no frame on screen). */
  request: () => ClipRequest | null;
}) {
  const [state, setState] = useState<
    { kind: "idle" } | { kind: "busy" } | { kind: "done"; href: string } | { kind: "failed"; message: string }
  >({ kind: "idle" });
  const click = async () => {
    const body = request();
    if (!body) return setState({ kind: "failed", message: "Nothing is playing yet to clip." });
    setState({ kind: "busy" });
    try {
      const clip = await createClip(managerUrl, body);
      setState({ kind: "done", href: `/clips/${clip.clipId}` });
    } catch (err) {
      setState({ kind: "failed", message: (err as Error).message });
    }
  };
  return (
    <>
      <button
        type="button"
        class="btn btn-small"
        data-testid="clip-button"
        disabled={state.kind === "busy"}
        onClick={click}
      >
        {state.kind === "busy" ? "Clipping…" : "Clip"}
      </button>
      {state.kind === "done" && (
        <a class="small clip-result" href={state.href} data-testid="clip-link">
          Clip ready: watch it
        </a>
      )}
      {state.kind === "failed" && (
        <span class="small clip-error" role="alert" data-testid="clip-error">
          {state.message}
        </span>
      )}
    </>
  );
}
