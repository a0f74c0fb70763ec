export interface InlineFieldProps {
  id: string;
  label: string;
  value: string;
  onValue(v: string): void;
  /** The submit button's text. */
  submit: string;
  /** A token: masked, never autofilled. */
  secret?: boolean;
  maxLength?: number;
  placeholder?: string;
}

/** A one-field form's body: the label, then the (required) input with its submit button on the same row. */
export function InlineField({
  id,
  label,
  value,
  onValue,
  submit,
  secret,
  maxLength,
  placeholder,
}: InlineFieldProps) {
  const common = {
    id,
    value,
    onInput: (e: { currentTarget: HTMLInputElement }) => onValue(e.currentTarget.value),
    required: true,
    maxLength,
    placeholder,
  };
  return (
    <>
      <label for={id}>{label}</label>
      <div class="field-row">
        {secret ? <input type="password" autoComplete="off" {...common} /> : <input {...common} />}
        <button class="btn btn-primary" type="submit">
          {submit}
        </button>
      </div>
    </>
  );
}
