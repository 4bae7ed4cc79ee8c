/**
 * Hostile Databases through `kubectl apply` against the real apiserver with
 * Vigil's webhooks registered (issue 10 item 20). The mutating webhook runs
 * before the CRD schema has checked anything, so each of these reaches it
 * as sent; the user must get a denial that names the field, never a 500
 * InternalError with a JavaScript message, and nothing may be stored.
 */
import assert from "node:assert/strict";
import { defaultVersion } from "../../../src/database/mod.ts";
import { eventually, sharedPlane } from "../../support/shared_plane.ts";
import { startDatabaseWebhooks } from "./_webhooks.ts";

/** A spec to apply and what the refusal must name. */
interface HostileCase {
  name: string;
  spec: unknown;
  field: RegExp;
  /** Default `vigil.dev/v1`. */
  apiVersion?: string;
}

const CASES: HostileCase[] = [
  { name: "unknown-engine", spec: { engine: "oracle" }, field: /spec\.engine/ },
  { name: "engine-number", spec: { engine: 5 }, field: /spec\.engine/ },
  { name: "engine-unicode", spec: { engine: "пострес🐘" }, field: /spec\.engine/ },
  { name: "spec-string", spec: "postgres please", field: /\bspec\b/ },
  { name: "spec-array", spec: [{ engine: "postgres" }], field: /\bspec\b/ },
  { name: "resources-string", spec: { resources: "lots" }, field: /spec\.resources/ },
  {
    name: "limit-array",
    spec: { resources: { limits: { cpu: [1] } } },
    field: /spec\.resources\.limits\.cpu/,
  },
  {
    name: "limit-exponent",
    spec: { version: "17.5", resources: { limits: { cpu: "1e2000" }, requests: { cpu: "1" } } },
    field: /spec\.resources\.limits\.cpu/,
  },
  { name: "replicas-string", spec: { replicas: "three" }, field: /spec\.replicas/ },
  { name: "version-huge", spec: { version: "1".repeat(100_000) }, field: /spec\.version/ },
  { name: "config-number", spec: { config: { max_connections: 200 } }, field: /spec\.config/ },
  {
    name: "config-nested",
    spec: { config: { max_connections: { a: { b: { c: ["d"] } } } } },
    field: /spec\.config/,
  },
  { name: "storage-object", spec: { storageSize: { gi: 10 } }, field: /spec\.storageSize/ },
  // Item 21: an old-version value its conversion cannot carry is refused in that version's terms.
  {
    name: "alpha-size-zero",
    apiVersion: "vigil.dev/v1alpha1",
    spec: { size: "0" },
    field: /spec\.size/,
  },
  {
    name: "alpha-size-fifty",
    apiVersion: "vigil.dev/v1alpha1",
    spec: { size: "50" },
    field: /spec\.size/,
  },
  {
    name: "alpha-size-words",
    apiVersion: "vigil.dev/v1alpha1",
    spec: { size: "three" },
    field: /spec\.size/,
  },
  {
    name: "alpha-backup-string",
    apiVersion: "vigil.dev/v1alpha1",
    spec: { backup: "yes" },
    field: /spec\.backup/,
  },
];

Deno.test("hostile specs applied with kubectl are refused naming the field, never with a 500", async (t) => {
  const plane = await sharedPlane();
  const webhooks = await startDatabaseWebhooks(plane);
  try {
    const ns = await webhooks.createNamespace("hostile");
    const manifest = (name: string, spec: unknown, apiVersion = "vigil.dev/v1") =>
      JSON.stringify({
        apiVersion,
        kind: "Database",
        metadata: { name, namespace: ns },
        spec,
      });
    // The apiserver picks up new webhook configurations within a moment.
    await eventually("the mutating webhook to default spec.version", async () => {
      const out = await plane.kubectl(["apply", "--dry-run=server", "-o", "json", "-f", "-"], {
        stdin: manifest("probe", {}),
      });
      const version = out.code === 0 ? JSON.parse(out.stdout).spec?.version : undefined;
      return version === defaultVersion("postgres") ? true : undefined;
    }, { timeoutMs: 30_000 });

    for (const c of CASES) {
      await t.step(`${c.name} is refused naming ${c.field.source}`, async () => {
        const out = await plane.kubectl(["apply", "-f", "-"], {
          stdin: manifest(c.name, c.spec, c.apiVersion),
        });
        const said = out.stderr.slice(0, 2_000);
        assert.notEqual(out.code, 0, `kubectl accepted it: ${out.stdout}`);
        assert.doesNotMatch(said, /InternalError|Internal error|\b500\b|TypeError|Cannot read/);
        assert.match(said, c.field);
        const got = await plane.kubectl(["get", "database", c.name, "-n", ns]);
        assert.match(got.stderr, /NotFound|not found/, "nothing is stored");
      });
    }

    await t.step(
      "a valid Database in the same namespace is still defaulted and stored",
      async () => {
        await plane.kubectlOk(["apply", "-f", "-"], { stdin: manifest("fine", { replicas: 2 }) });
        const stored = JSON.parse(
          await plane.kubectlOk(["get", "database", "fine", "-n", ns, "-o", "json"]),
        );
        assert.equal(stored.spec.version, defaultVersion("postgres"));
        assert.equal(stored.spec.replicas, 2);
        await plane.kubectlOk(["delete", "database", "fine", "-n", ns, "--wait"]);
      },
    );
  } finally {
    await webhooks.stop();
  }
});
