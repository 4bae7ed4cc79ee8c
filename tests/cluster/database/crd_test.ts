/**
 * The Database CRD on a real apiserver, with no webhook running: it installs,
 * schema defaults apply, the schema and CEL rules reject bad input with
 * messages naming the field, the scale subresource and printer columns work,
 * v1alpha1 warns that it is deprecated, and a rejected update leaves the
 * stored object exactly as it was.
 *
 * The CRD's conversion is set to `None` here, since no conversion webhook is
 * running in these tests; v1 requests never need conversion.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import {
  eventually,
  type SharedPlane,
  sharedPlane,
  withNamespace,
} from "../../support/shared_plane.ts";

function db(namespace: string, name: string, spec: Record<string, unknown>) {
  return { apiVersion: "vigil.dev/v1", kind: "Database", metadata: { name, namespace }, spec };
}

async function get(plane: SharedPlane, ns: string, name: string) {
  return JSON.parse(
    await plane.kubectlOk(["-n", ns, "get", "databases.v1.vigil.dev", name, "-o", "json"]),
  );
}

async function rejected(plane: SharedPlane, obj: unknown, ...patterns: RegExp[]): Promise<string> {
  const result = await plane.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(obj) });
  assert.notEqual(result.code, 0, `expected a rejection of ${JSON.stringify(obj)}`);
  for (const p of patterns) assert.match(result.stderr, p);
  return result.stderr;
}

Deno.test("the Database CRD installs and a minimal Database gets the schema defaults", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "crd-defaults", async (ns) => {
    await plane.kubectlOk(["apply", "-f", "-"], { stdin: JSON.stringify(db(ns, "minimal", {})) });
    const stored = await get(plane, ns, "minimal");
    assert.equal(stored.spec.engine, "postgres");
    assert.equal(stored.spec.replicas, 1);
    assert.equal(stored.spec.storageSize, "10Gi");
    assert.equal(stored.spec.pvcDeletionPolicy, "Retain");
  });
});

Deno.test("schema and CEL reject bad specs with messages naming the field", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "crd-reject", async (ns) => {
    await rejected(
      plane,
      db(ns, "zero", { replicas: 0 }),
      /spec\.replicas/,
      /greater than or equal to 1/,
    );
    await rejected(
      plane,
      db(ns, "eleven", { replicas: 11 }),
      /spec\.replicas/,
      /less than or equal to 10/,
    );
    await rejected(
      plane,
      db(ns, "limits", { resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }),
      /spec\.resources\.limits\.cpu/,
      /at least spec\.resources\.requests\.cpu/,
    );
    const config = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`param_${i}`, "1"]));
    await rejected(plane, db(ns, "config", { config }), /spec\.config/, /20/);
    await rejected(plane, db(ns, "cron", { backupSchedule: "every day" }), /spec\.backupSchedule/);
    await rejected(plane, db(ns, "engine", { engine: "oracle" }), /spec\.engine/, /postgres/);
  });
});

Deno.test("immutable and grow-only fields are enforced on update, and the stored object is untouched", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "crd-update", async (ns) => {
    const original = db(ns, "keep", { engine: "postgres", storageSize: "20Gi", replicas: 2 });
    await plane.kubectlOk(["apply", "-f", "-"], { stdin: JSON.stringify(original) });
    const before = await get(plane, ns, "keep");

    await rejected(
      plane,
      db(ns, "keep", { engine: "mysql", storageSize: "20Gi", replicas: 2 }),
      /spec\.engine/,
      /immutable/,
    );
    await rejected(
      plane,
      db(ns, "keep", { engine: "postgres", storageSize: "5Gi", replicas: 2 }),
      /spec\.storageSize/,
      /cannot shrink/,
    );
    await rejected(
      plane,
      db(ns, "keep", {
        engine: "postgres",
        storageSize: "20Gi",
        replicas: 2,
        storageClassName: "standard",
      }),
      /spec\.storageClassName/,
      /immutable/,
    );

    const after = await get(plane, ns, "keep");
    assert.deepEqual(after.spec, before.spec);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(after.metadata.generation, before.metadata.generation);
  });
});

Deno.test("kubectl scale works through the scale subresource and get shows the printer columns", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "crd-scale", async (ns) => {
    await plane.kubectlOk(["apply", "-f", "-"], {
      stdin: JSON.stringify(db(ns, "x", { version: "17.5" })),
    });
    await plane.kubectlOk(["-n", ns, "scale", "db/x", "--replicas=3"]);
    assert.equal((await get(plane, ns, "x")).spec.replicas, 3);
    const scale = JSON.parse(
      await plane.kubectlOk([
        "-n",
        ns,
        "get",
        "--raw",
        `/apis/vigil.dev/v1/namespaces/${ns}/databases/x/scale`,
      ]),
    );
    assert.equal(scale.kind, "Scale");
    assert.equal(scale.spec.replicas, 3);

    const table = await plane.kubectlOk(["-n", ns, "get", "db"]);
    const header = table.split("\n")[0]!.trim().split(/\s+/);
    assert.deepEqual(header, ["NAME", "ENGINE", "VERSION", "READY", "PHASE", "AGE"]);
    assert.match(table.split("\n")[1]!, /^x\s+postgres\s+17\.5\s/);
    const vdb = await plane.kubectlOk(["-n", ns, "get", "vdb", "-o", "name"]);
    assert.equal(vdb.trim(), "database.vigil.dev/x");
  });
});

Deno.test("a v1alpha1 request prints the deprecation warning", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "crd-alpha", async (ns) => {
    const result = await eventually("the v1alpha1 version to be served", async () => {
      const r = await plane.kubectl(["-n", ns, "get", "databases.v1alpha1.vigil.dev"]);
      return r.code === 0 ? r : undefined;
    });
    assert.match(
      result.stderr,
      /Warning: vigil\.dev\/v1alpha1 Database is deprecated; use vigil\.dev\/v1/,
    );
  });
});

Deno.test("kubectl explain shows the schema's descriptions", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  const text = await eventually("kubectl explain to know the Database", async () => {
    const r = await plane.kubectl([
      "explain",
      "databases.spec.storageSize",
      "--api-version=vigil.dev/v1",
    ]);
    return r.code === 0 ? r.stdout : undefined;
  });
  assert.match(text, /never\s+shrink/i);
  const spec = await plane.kubectlOk(["explain", "databases.spec", "--api-version=vigil.dev/v1"]);
  for (
    const field of [
      "engine",
      "version",
      "replicas",
      "storageSize",
      "backupSchedule",
      "pvcDeletionPolicy",
    ]
  ) {
    assert.match(spec, new RegExp(`^\\s+${field}\\s`, "m"), `explain lists spec.${field}`);
  }
});
