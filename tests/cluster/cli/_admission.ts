/**
 * Admission requests sent straight to a `vigil run` webhook port, as the
 * apiserver sends them, for the CLI process tests.
 *
 * @module
 */
import { DATABASE_WEBHOOK_PATHS } from "../../../src/database/mod.ts";

/** An AdmissionReview creating an empty Database (the mutating webhook defaults it). */
export function databaseReview(uid: string): Record<string, unknown> {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "vigil.dev", version: "v1", kind: "Database" },
      resource: { group: "vigil.dev", version: "v1", resource: "databases" },
      name: "db",
      namespace: "default",
      operation: "CREATE",
      userInfo: { username: "alice", groups: ["system:authenticated"] },
      object: { apiVersion: "vigil.dev/v1", kind: "Database", metadata: { name: "db" }, spec: {} },
      oldObject: null,
      dryRun: false,
    },
  };
}

/** A client that trusts `caPem` (a fresh connection per client; close it after). */
export function trustingClient(caPem: string): Deno.HttpClient {
  return Deno.createHttpClient({ caCerts: [caPem] });
}

/**
 * POSTs one AdmissionReview to the mutating webhook at `host:port`; resolves
 * `"allowed"` for a 200 answer that allows, else a short description of what
 * came back (a status, or the connection error).
 */
export async function admit(
  client: Deno.HttpClient,
  host: string,
  port: number,
  uid: string = crypto.randomUUID(),
): Promise<string> {
  try {
    const res = await fetch(`https://${host}:${port}${DATABASE_WEBHOOK_PATHS.mutate}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(databaseReview(uid)),
      client,
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 200)}`;
    const review = JSON.parse(text) as { response?: { uid?: string; allowed?: boolean } };
    if (review.response?.uid !== uid) return `wrong uid in ${text.slice(0, 200)}`;
    return review.response.allowed === true ? "allowed" : `denied: ${text.slice(0, 200)}`;
  } catch (err) {
    return `error: ${String((err as Error).cause ?? err).slice(0, 200)}`;
  }
}
