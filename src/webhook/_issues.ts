/**
 * Turns zod issues into the one-line reason of a 400 response.
 *
 * @module
 */
import type { z } from "zod";

const MAX_ISSUES = 3;
const MAX_LENGTH = 300;

/** Formats at most three issues as `path: message; path: message`, on one line. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".");
    return `${path}: ${issue.message}`;
  });
  if (issues.length > MAX_ISSUES) parts.push(`and ${issues.length - MAX_ISSUES} more`);
  return oneLine(parts.join("; "));
}

/** Collapses whitespace runs (newlines included) and caps the length. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_LENGTH ? `${flat.slice(0, MAX_LENGTH - 1)}…` : flat;
}
