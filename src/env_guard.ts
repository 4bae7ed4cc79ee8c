/**
 * Makes `process.env` safe to enumerate under a named `--allow-env` list.
 *
 * The binary may read only named variables, but some npm dependencies of
 * client-node (`debug`, through its HTTP agents) enumerate the whole
 * environment when they load, which Deno refuses without full env access.
 * This module, imported before anything else, replaces `process.env` with a
 * view whose enumeration lists only the variables this process may read and
 * that are set; reads of a single variable behave as before, and a variable
 * the process may not read looks unset instead of throwing.
 *
 * @module
 */
import process from "node:process";

function allowed(name: string): boolean {
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
}

function read(name: string): string | undefined {
  return allowed(name) ? Deno.env.get(name) : undefined;
}

if (Deno.permissions.querySync({ name: "env" }).state !== "granted") {
  // Names that code asked for; enumeration can only list names it knows.
  const seen = new Set<string>();
  // The target must be a plain object: a Proxy's invariant checks read the
  // target's own keys, which for the original process.env is the forbidden
  // enumeration itself.
  const view = new Proxy({} as Record<string, string>, {
    ownKeys: () => [...seen].filter((k) => read(k) !== undefined),
    getOwnPropertyDescriptor(_target, key) {
      const value = typeof key === "string" ? read(key) : undefined;
      return value === undefined
        ? undefined
        : { value, enumerable: true, configurable: true, writable: true };
    },
    get(_target, key) {
      if (typeof key !== "string") return undefined;
      seen.add(key);
      return read(key);
    },
    has: (_target, key) => typeof key === "string" && read(key) !== undefined,
    set(_target, key, value) {
      // Writes to names outside the list are dropped, as reads of them see nothing.
      if (typeof key === "string" && allowed(key)) Deno.env.set(key, String(value));
      return true;
    },
    deleteProperty(_target, key) {
      if (typeof key === "string" && allowed(key)) Deno.env.delete(key);
      return true;
    },
  });
  Object.defineProperty(process, "env", { value: view, configurable: true, writable: true });
}
