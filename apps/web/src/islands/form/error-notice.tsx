/** The error line under a form or panel, announced to screen readers; nothing when there is no error. */
export function ErrorNotice({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p class="notice notice-error" role="alert">
      {error}
    </p>
  );
}
