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

const MAX_VALUE_CHARS = 80;
/** Longest path a problem names; a client-chosen config key can be megabytes long. */
const MAX_PATH_CHARS = 200;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** The value as JSON, cut short; never throws (a value nested too deep for JSON is named so). */
function show(value: unknown): string {
  if (value === undefined) return "unset";
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = Array.isArray(value) ? "[… nested too deep to show]" : "{… nested too deep to show}";
  }
  return cut(text, MAX_VALUE_CHARS);
}

/**
 * Builds a problem whose message reads `<path>: <value> <reason>; accepted: <accepted>`.
 *
 * Never throws, whatever the value; the value is shown as JSON cut at 80
 * characters and the path at 200.
 */
export function fieldProblem(
  rawPath: string,
  value: unknown,
  reason: string,
  accepted: string,
): FieldProblem {
  const path = cut(rawPath, MAX_PATH_CHARS);
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
