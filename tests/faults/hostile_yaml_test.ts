/**
 * Fault 9: bad input is never stored. Hostile YAML — huge strings, deep
 * nesting, unicode, numbers where strings go, YAML's own tricks (aliases,
 * tags, special floats, duplicate keys) — goes through `kubectl apply` to
 * the real apiserver, whose admission webhooks are served by the Vigil pair
 * (replica a's port, registered for this namespace only), both as new
 * Databases and as updates of existing ones. Every body is refused (by
 * kubectl, the apiserver or the webhook, never with a 500), no hostile
 * Database exists after, the stored Databases are byte-for-byte what they
 * were, and every invariant holds.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { databaseWebhookConfigurations, defaultVersion } from "../../src/database/mod.ts";
import { KubeClient, loadKubeConfig } from "../../src/kube/mod.ts";
import { CaBundleInjector } from "../../src/webhook/mod.ts";
import { dryRunDatabase, installDatabaseCrd } from "../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../support/shared_plane.ts";
import { deleteDatabases, metricSum } from "../cluster/controller/_helpers.ts";
import { VigilPair } from "./_harness.ts";
import { checkInvariants, snapshot, waitConverged } from "./_invariants.ts";
import { applyDatabases, databases } from "./_workload.ts";

/** Hostile values for a spec (each is wrong in its own way). */
const HOSTILE_SPECS: Array<[string, unknown]> = [
  ["engine-number", { engine: 5 }],
  ["engine-unicode", { engine: "пострес🐘" }],
  ["engine-rtl", { engine: "\u202epostgres" }],
  ["spec-string", "postgres please"],
  ["spec-array", [{ engine: "postgres" }]],
  ["replicas-string", { replicas: "three" }],
  ["replicas-float", { replicas: 2.5 }],
  ["replicas-huge", { replicas: 1e300 }],
  ["replicas-negative", { replicas: -1 }],
  ["version-huge", { version: "1".repeat(100_000) }],
  ["version-number", { version: 17.5 }],
  ["storage-object", { storageSize: { gi: 10 } }],
  ["storage-negative", { storageSize: "-5Gi" }],
  ["storage-unicode", { storageSize: "１０Gi" }],
  ["config-number", { config: { max_connections: 200 } }],
  ["config-nested", { config: { max_connections: { a: { b: { c: ["d"] } } } } }],
  ["config-deep", { config: deep(300) }],
  ["config-many", { config: Object.fromEntries(range(300).map((i) => [`k${i}`, "1"])) }],
  ["config-huge-value", { config: { work_mem: "9".repeat(1_000_000) } }],
  ["config-key-injection", { config: { "max_connections = 1\nssl": "off" } }],
  ["config-value-newline", { config: { work_mem: "4MB'\nshared_preload_libraries = 'evil" } }],
  ["resources-string", { resources: "lots" }],
  ["limit-exponent", { resources: { limits: { cpu: "1e2000" }, requests: { cpu: "1" } } }],
  ["backup-schedule-junk", { backupSchedule: "every full moon 🌕" }],
  ["pvc-policy-unknown", { pvcDeletionPolicy: "Shred" }],
  ["unknown-field-huge", { ["x".repeat(10_000)]: "y" }],
];

/**
 * Stored before the fix: spec.image's pattern was `^\S+$`, which let control
 * characters through; it is now printable ASCII (src/database/schema_common.ts).
 */
const KNOWN_STORED: Array<[string, unknown]> = [
  ["image-null-byte", { image: "postgres:17\u0000evil" }],
  ["image-escape", { image: "postgres:17.5\u001b[2J" }],
];

/** Raw YAML documents kubectl or the apiserver must refuse as they are. */
const RAW_YAML: Array<[string, string]> = [
  [
    "alias-bomb",
    [
      "apiVersion: vigil.dev/v1",
      "kind: Database",
      "metadata: {name: alias-bomb}",
      "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
      ...range(9).map((i) => `x${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(", ")}]`),
      "spec: {engine: postgres, config: {work_mem: *a9}}",
    ].join("\n"),
  ],
  [
    "binary-tag",
    "apiVersion: vigil.dev/v1\nkind: Database\nmetadata: {name: binary-tag}\n" +
    "spec: {engine: !!binary cG9zdGdyZXM=, replicas: !!str 2}",
  ],
  [
    "special-floats",
    "apiVersion: vigil.dev/v1\nkind: Database\nmetadata: {name: special-floats}\n" +
    "spec: {engine: postgres, replicas: .inf}",
  ],
  [
    "nan-replicas",
    "apiVersion: vigil.dev/v1\nkind: Database\nmetadata: {name: nan-replicas}\n" +
    "spec: {engine: postgres, replicas: .nan}",
  ],
  [
    "hex-octal",
    "apiVersion: vigil.dev/v1\nkind: Database\nmetadata: {name: hex-octal}\n" +
    "spec: {engine: postgres, replicas: 0x10, storageSize: 0o17}",
  ],
  [
    "duplicate-keys",
    "apiVersion: vigil.dev/v1\nkind: Database\nmetadata: {name: duplicate-keys}\n" +
    "spec:\n  engine: postgres\n  replicas: 1\n  replicas: eleven\n",
  ],
  [
    "deep-flow",
    "apiVersion: vigil.dev/v1\nkind: Database\nmetadata: {name: deep-flow}\n" +
    `spec: {engine: postgres, config: ${"[".repeat(20_000)}${"]".repeat(20_000)}}`,
  ],
  [
    "yes-no",
    "apiVersion: vigil.dev/v1\nkind: Database\nmetadata: {name: yes-no}\n" +
    "spec: {engine: postgres, version: no, pvcDeletionPolicy: yes}",
  ],
];

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function deep(depth: number): unknown {
  let v: unknown = "x";
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

interface Stored {
  metadata: { name: string; resourceVersion: string; generation: number };
  spec: unknown;
}

async function storedDatabases(
  plane: Awaited<ReturnType<typeof sharedPlane>>,
  ns: string,
): Promise<Map<string, string>> {
  const list = JSON.parse(await plane.kubectlOk(["-n", ns, "get", "db", "-o", "json"])) as {
    items: Stored[];
  };
  return new Map(list.items.map((d) => [d.metadata.name, JSON.stringify(d)]));
}

async function refusedAndNothingStored(
  specs: Array<[string, unknown]>,
  raw: Array<[string, string]>,
): Promise<void> {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "fault-hostile", async (ns) => {
    const id = crypto.randomUUID().slice(0, 8);
    const configName = `vigil-fault-${id}`;
    await plane.kubectlOk(["label", "namespace", ns, `vigil.dev/fault-webhook=${id}`]);
    const pair = await VigilPair.start(plane, ns);
    try {
      // Admission by replica a, as the apiserver reaches it.
      const a = pair.current("a")!;
      const client = new KubeClient(
        (await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath })).kubeConfig,
      );
      const configs = databaseWebhookConfigurations({
        name: configName,
        namespaceLabels: { "vigil.dev/fault-webhook": id },
      });
      const endpoint = { mode: "url" as const, port: a.vigil.vigil.webhookPort };
      const ca = await Deno.readTextFile(`${a.vigil.certDir}/ca.crt`);
      const injector = new CaBundleInjector(client);
      await injector.applyMutating(configs.mutating, endpoint, ca);
      await injector.applyValidating(configs.validating, endpoint, ca);
      await eventually("the mutating webhook to default spec.version", async () => {
        const spec = (await dryRunDatabase(plane, ns, { engine: "postgres" }))?.spec as
          | { version?: string }
          | undefined;
        return spec?.version === defaultVersion("postgres") ? true : undefined;
      }, { timeoutMs: 30_000 });

      await applyDatabases(
        plane,
        ns,
        databases("db", 4, {
          engine: "postgres",
          version: "17.5",
          replicas: 2,
          storageSize: "2Gi",
          config: { max_connections: "100" },
        }),
      );
      await waitConverged(plane, ns);
      const before = await snapshot(plane, ns);
      const storedBefore = await storedDatabases(plane, ns);

      const bodies: Array<[string, string]> = [...raw];
      for (const [name, spec] of specs) {
        const doc = (metaName: string) =>
          stringify({
            apiVersion: "vigil.dev/v1",
            kind: "Database",
            metadata: { name: metaName },
            spec,
          }, {
            lineWidth: 0,
          });
        bodies.push([`new ${name}`, doc(`hostile-${name}`)]);
        bodies.push([`update ${name}`, doc(`db-${bodies.length % 4}`)]);
      }
      const tally = { kubectl: 0, apiserver: 0 };
      const port = a.vigil.vigil.metricsPort!;
      const reviewsBefore = await metricSum(port, "controller_runtime_webhook_requests_total");
      const problems: string[] = [];
      for (const [name, yaml] of bodies) {
        const out = await plane.kubectl(["-n", ns, "apply", "-f", "-"], { stdin: yaml });
        const said = out.stderr.slice(0, 2_000);
        if (out.code === 0) {
          problems.push(`${name} was accepted: ${out.stdout.trim()}`);
          continue;
        }
        if (/InternalError|Internal error|status 500|TypeError|Cannot read/.test(said)) {
          problems.push(`${name} got a server error: ${said}`);
        }
        if (/Error from server|is invalid/.test(said)) tally.apiserver++;
        else tally.kubectl++;
      }
      assert.deepEqual(problems, []);
      const reviews = (await metricSum(port, "controller_runtime_webhook_requests_total")) -
        reviewsBefore;

      const storedAfter = await storedDatabases(plane, ns);
      assert.deepEqual([...storedAfter.keys()].sort(), [...storedBefore.keys()].sort());
      for (const [name, json] of storedBefore) {
        assert.equal(storedAfter.get(name), json, `stored Database ${name} changed`);
      }
      const report = await checkInvariants(plane, ns, pair, before);
      console.log(
        `fault 9: ${bodies.length} hostile bodies refused (kubectl refused ${tally.kubectl}, ` +
          `the apiserver ${tally.apiserver}, sending Vigil's webhooks ${reviews} reviews); stored Databases ` +
          `unchanged; writes settled in ${report.settleMs} ms`,
      );
      if (specs.length > 10) assert.ok(reviews > 0, "some bodies reached Vigil's webhooks");
    } finally {
      await plane.kubectl([
        "delete",
        "mutatingwebhookconfiguration",
        configName,
        "--ignore-not-found",
      ]);
      await plane.kubectl([
        "delete",
        "validatingwebhookconfiguration",
        configName,
        "--ignore-not-found",
      ]);
      await deleteDatabases(plane, ns);
      await pair.stop();
    }
  });
}

Deno.test("fault 9: hostile YAML through kubectl and the apiserver is refused, never with a 500, and nothing stored changes", async () => {
  await refusedAndNothingStored(HOSTILE_SPECS, RAW_YAML);
});

Deno.test("fault 9: spec.image with control characters is refused and nothing is stored", () =>
  refusedAndNothingStored(KNOWN_STORED, []));
