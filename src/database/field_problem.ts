/**
 * The shape of a validation finding, shared by validation and the webhooks.
 *
 * @module
 */

/** One reason a Database is refused: where, what was given, why, and what is accepted. */
export interface FieldProblem {
  /** Field path, e.g. `spec.config.max_connections`. */
  path: string;
  /** The offending value as given (undefined when the field is missing). */
  value: unknown;
  /** Full sentence for the user: names the path, the value and what is accepted. */
  message: string;
  /** What would be accepted instead. */
  accepted: string;
}

function show(value: unknown): string {
  if (value === undefined) return "unset";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Builds a problem whose message reads `<path>: <value> <reason>; accepted: <accepted>`. */
export function fieldProblem(
  path: string,
  value: unknown,
  reason: string,
  accepted: string,
): FieldProblem {
  return {
    path,
    value,
    message: `${path}: ${show(value)} ${reason}; accepted: ${accepted}`,
    accepted,
  };
}

/** Joins problems into one denial text (one problem per line). */
export function formatProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => p.message).join("\n");
}
