import type { ComponentChildren } from "preact";

export interface AdminTableProps {
  /** data-testid of the table. */
  testId: string;
  /** Column headings, in order. */
  columns: string[];
  /** Adds a last column of row buttons, headed for screen readers only. */
  actions?: boolean;
  /** The rows (<tr>). */
  children: ComponentChildren;
}

/** The operator page's table: column headings in a thead, the rows as given. */
export function AdminTable({ testId, columns, actions = false, children }: AdminTableProps) {
  return (
    <table class="admin-table" data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
          {actions && (
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
