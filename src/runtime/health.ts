/**
 * Named health checks for `/healthz` and `/readyz` (controller-runtime
 * `pkg/healthz`): a registry of checks that throw when unhealthy.
 *
 * @module
 */

/** Throws (or rejects) when unhealthy; the message is shown in verbose output. */
export type HealthCheck = () => void | Promise<void>;

/** One check's outcome. */
export type CheckResult =
  | { readonly name: string; readonly ok: true }
  | { readonly name: string; readonly ok: false; readonly reason: string };

/** A set of named checks run together. */
export class HealthChecks {
  readonly #checks = new Map<string, HealthCheck>();

  /** @throws {Error} when `name` is taken. */
  add(name: string, check: HealthCheck): void {
    if (this.#checks.has(name)) throw new Error(`Cannot add health check: "${name}" exists`);
    this.#checks.set(name, check);
  }

  /** Runs every check; healthy only if all pass (an empty set is healthy). */
  async run(): Promise<{ ok: boolean; results: CheckResult[] }> {
    const results = await Promise.all(
      [...this.#checks].map(async ([name, check]): Promise<CheckResult> => {
        try {
          await check();
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, reason: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    return { ok: results.every((r) => r.ok), results };
  }

  /** The controller-runtime text body: `[+]name ok` / `[-]name failed: …`. */
  static format(results: readonly CheckResult[], ok: boolean): string {
    const lines = results.map((r) => r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.reason}`);
    return `${lines.join("\n")}\n${ok ? "healthz check passed" : "healthz check failed"}\n`;
  }
}
