/**
 * The security context of every pod Vigil runs (database and backup): the
 * official images' own non-root user, restricted Pod Security compatible.
 *
 * ## Guarantees
 * - uid/gid 999 — the `postgres` user of the Debian-based `postgres` image and
 *   the `mysql` user of the `mysql` image — so the entrypoints run unchanged
 *   without `gosu` (which needs root).
 * - `fsGroup: 999` makes fresh volumes writable for that user;
 *   `fsGroupChangePolicy: OnRootMismatch` skips the recursive walk once the
 *   volume root is right, which keeps large volumes fast to mount and leaves
 *   PostgreSQL's `0700` data directory alone.
 * - Restricted profile: `runAsNonRoot`, `seccompProfile: RuntimeDefault`,
 *   `allowPrivilegeEscalation: false`, every capability dropped. The root
 *   filesystem is read-only; what the images write goes to volumes (data,
 *   sockets, `/tmp`).
 *
 * @module
 */

/** uid and gid of the official images' database user. */
export const DATABASE_UID = 999;

/** The pod-level security context. */
export function podSecurityContext(): Record<string, unknown> {
  return {
    runAsUser: DATABASE_UID,
    runAsGroup: DATABASE_UID,
    runAsNonRoot: true,
    fsGroup: DATABASE_UID,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** The container-level security context. */
export function containerSecurityContext(): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: DATABASE_UID,
    runAsGroup: DATABASE_UID,
  };
}
