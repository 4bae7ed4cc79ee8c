/** Vigil's version, taken from deno.json at build time (compiled into the binary). */
import meta from "../deno.json" with { type: "json" };

/** The released version, e.g. `0.1.0`. */
export const VERSION: string = meta.version;
