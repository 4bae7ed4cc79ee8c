/**
 * The engine catalog: which versions of PostgreSQL and MySQL Vigil runs, from
 * which images, which upgrades it allows, and which parameters each engine knows.
 *
 * ## Images and air-gapped installs
 *
 * Every catalog version names a real upstream image (`docker.io/library/postgres:17.5`).
 * `spec.image`, when set, is used verbatim instead. Otherwise, when the operator
 * has a registry prefix (`--image-registry registry.example.com/mirror`), the
 * catalog image's registry host and namespace are dropped and its last path
 * element (`postgres:17.5`, tag or digest kept) is put under the prefix:
 * `registry.example.com/mirror/postgres:17.5`. Mirror images under those names.
 *
 * ## Upgrades
 *
 * - Minor upgrades within a major are always allowed.
 * - A major upgrade may go exactly one major up (PostgreSQL 15 → 16, MySQL 8.0 → 8.4).
 * - A major downgrade is never allowed.
 * - A minor downgrade is allowed where the engine keeps its on-disk format
 *   within a major: PostgreSQL (any major) and MySQL 8.4 LTS. MySQL 8.0 does not
 *   support downgrades between its releases, so there it is refused.
 *
 * @module
 */

import {
  type Engine,
  engineParameters,
  MYSQL_PARAMETERS,
  type ParameterSpec,
  POSTGRES_PARAMETERS,
} from "./engine_parameters.ts";

export type { Engine, ParameterSpec };

/** One release series ("major") of an engine. */
export interface MajorVersion {
  /** The major as the engine names it: `17` for PostgreSQL, `8.4` for MySQL. */
  readonly major: string;
  /** Supported releases, oldest first. */
  readonly versions: readonly string[];
  /** Whether going back to an older release of this major is allowed. */
  readonly allowsMinorDowngrade: boolean;
}

/** Everything Vigil knows about one engine. */
export interface EngineInfo {
  /** Image repository of the upstream image, without tag. */
  readonly repository: string;
  /** Release series, oldest first. */
  readonly majors: readonly MajorVersion[];
  /** The version new Databases get when `spec.version` is unset. */
  readonly defaultVersion: string;
  /** Parameters allowed in `spec.config`. */
  readonly parameters: Readonly<Record<string, ParameterSpec>>;
  /** Port the engine listens on. */
  readonly port: number;
}

/** The engines and versions Vigil supports. */
export const ENGINE_CATALOG: Readonly<Record<Engine, EngineInfo>> = {
  postgres: {
    repository: "docker.io/library/postgres",
    majors: [
      { major: "14", versions: ["14.13", "14.15", "14.17", "14.18"], allowsMinorDowngrade: true },
      { major: "15", versions: ["15.8", "15.10", "15.12", "15.13"], allowsMinorDowngrade: true },
      { major: "16", versions: ["16.4", "16.6", "16.8", "16.9"], allowsMinorDowngrade: true },
      { major: "17", versions: ["17.0", "17.2", "17.4", "17.5"], allowsMinorDowngrade: true },
    ],
    defaultVersion: "17.5",
    parameters: POSTGRES_PARAMETERS,
    port: 5432,
  },
  mysql: {
    repository: "docker.io/library/mysql",
    majors: [
      {
        major: "8.0",
        versions: ["8.0.36", "8.0.39", "8.0.40", "8.0.41", "8.0.42"],
        allowsMinorDowngrade: false,
      },
      {
        major: "8.4",
        versions: ["8.4.0", "8.4.2", "8.4.3", "8.4.4", "8.4.5"],
        allowsMinorDowngrade: true,
      },
    ],
    defaultVersion: "8.4.5",
    parameters: MYSQL_PARAMETERS,
    port: 3306,
  },
};

/** The engines, in catalog order. */
export const ENGINES: readonly Engine[] = ["postgres", "mysql"];

/** Returns every supported version of an engine, oldest first. */
export function supportedVersions(engine: Engine): string[] {
  return ENGINE_CATALOG[engine].majors.flatMap((m) => [...m.versions]);
}

/** Returns the version new Databases of this engine get (the latest stable release). */
export function defaultVersion(engine: Engine): string {
  return ENGINE_CATALOG[engine].defaultVersion;
}

/** Returns true when `version` is in the catalog for `engine`. */
export function isSupportedVersion(engine: Engine, version: string): boolean {
  return supportedVersions(engine).includes(version);
}

/** Returns the release series of a version (`17` for `17.2`, `8.4` for `8.4.3`). */
export function majorOf(engine: Engine, version: string): string {
  const parts = version.split(".");
  return engine === "postgres" ? parts[0] ?? "" : parts.slice(0, 2).join(".");
}

function majorIndex(engine: Engine, version: string): number {
  const major = majorOf(engine, version);
  return ENGINE_CATALOG[engine].majors.findIndex((m) => m.major === major);
}

function compareNumeric(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Outcome of {@linkcode checkUpgrade}. */
export type UpgradeCheck = { ok: true } | { ok: false; reason: string; accepted: string };

/**
 * Decides whether a running Database may move from one catalog version to another.
 *
 * Both versions must be in the catalog; see the module documentation for the rules.
 */
export function checkUpgrade(engine: Engine, from: string, to: string): UpgradeCheck {
  if (from === to) return { ok: true };
  const fromMajor = majorIndex(engine, from);
  const toMajor = majorIndex(engine, to);
  const majors = ENGINE_CATALOG[engine].majors;
  const current = majors[fromMajor];
  const next = majors[fromMajor + 1];
  const accepted = allowedTargets(engine, from).join(", ");
  if (current === undefined || toMajor < 0) {
    return { ok: false, reason: `${from} → ${to} is not a catalog upgrade`, accepted };
  }
  if (toMajor < fromMajor) {
    return { ok: false, reason: `major downgrade ${from} → ${to} is not allowed`, accepted };
  }
  if (toMajor > fromMajor + 1) {
    return {
      ok: false,
      reason: `major upgrade ${from} → ${to} skips a major; upgrade to ${next?.major} first`,
      accepted,
    };
  }
  if (toMajor === fromMajor && compareNumeric(to, from) < 0 && !current.allowsMinorDowngrade) {
    return {
      ok: false,
      reason: `${engine} ${current.major} does not support downgrading ${from} → ${to}`,
      accepted,
    };
  }
  return { ok: true };
}

/** Lists the versions a Database running `from` may move to (including `from`). */
export function allowedTargets(engine: Engine, from: string): string[] {
  const majors = ENGINE_CATALOG[engine].majors;
  const index = majorIndex(engine, from);
  const current = majors[index];
  if (current === undefined) return supportedVersions(engine);
  const sameMajor = current.versions.filter((v) =>
    current.allowsMinorDowngrade || compareNumeric(v, from) >= 0
  );
  return [...sameMajor, ...(majors[index + 1]?.versions ?? [])];
}

/** Options of {@linkcode resolveImage}. */
export interface ResolveImageOptions {
  /** `spec.image`: used verbatim when set. */
  image?: string | undefined;
  /** Operator-wide registry prefix for air-gapped installs, e.g. `registry.example.com/mirror`. */
  registryPrefix?: string | undefined;
}

/**
 * Returns the image to run for an engine version.
 *
 * @example
 * ```ts
 * import { resolveImage } from "./catalog.ts";
 * resolveImage("postgres", "17.2", { registryPrefix: "registry.example.com/mirror" });
 * // "registry.example.com/mirror/postgres:17.2"
 * ```
 */
export function resolveImage(
  engine: Engine,
  version: string,
  options: ResolveImageOptions = {},
): string {
  if (options.image) return options.image;
  return applyRegistryPrefix(
    `${ENGINE_CATALOG[engine].repository}:${version}`,
    options.registryPrefix,
  );
}

/**
 * Rewrites an image reference under a mirror prefix: the last path element
 * (name with tag or digest) is kept, registry and namespace are replaced.
 * Without a prefix the reference is returned unchanged.
 */
export function applyRegistryPrefix(reference: string, registryPrefix?: string): string {
  const prefix = (registryPrefix ?? "").replace(/\/+$/, "");
  if (prefix === "") return reference;
  const last = reference.slice(reference.lastIndexOf("/") + 1);
  return `${prefix}/${last}`;
}

/** Returns the parameter table of an engine (see `engine_parameters.ts`). */
export { engineParameters };
