/**
 * The shipped RBAC is enough and no more: `main.ts run`, under the
 * binary's permission flags and authenticated only as the `vigil`
 * ServiceAccount bound by `src/distribution`'s roles, becomes ready, leads
 * on its Lease, reconciles a Database to Ready and cleans it up, and
 * releases the Lease on SIGTERM; and `kubectl auth can-i --list`
 * for that account shows exactly the builders' rules (plus what Kubernetes
 * gives every authenticated account).
 */
import assert from "node:assert/strict";
import { eventually, sharedPlane } from "../../support/shared_plane.ts";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { startVigil, type VigilProcess } from "../../support/vigil_process.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import {
  APP_NAME,
  buildNamespace,
  buildRbac,
  leaseRules,
  NAMESPACE,
  OPERATOR_CLUSTER_RULES,
  resolveInstallOptions,
  SELF_SIGNED_CLUSTER_ROLE,
} from "../../../src/distribution/mod.ts";
import { baselineRules, parseCanIList, ruleAtoms } from "./can_i.ts";
import { tokenKubeconfig } from "../../support/token_kubeconfig.ts";
import { applyDatabase, waitReady } from "../controller/_helpers.ts";

const SA = `system:serviceaccount:${NAMESPACE}:${APP_NAME}`;

Deno.test("vigil run works with exactly the shipped RBAC, and the ServiceAccount can do nothing more", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  const leaseId = `vigil-rbac-${crypto.randomUUID().slice(0, 8)}`;
  const options = resolveInstallOptions({ leaderElectionId: leaseId });
  const objects = [buildNamespace(options), ...buildRbac(options)];
  const clusterScoped = objects.filter((o) => o.metadata.namespace === undefined);
  const tmp = await Deno.makeTempDir({ prefix: "vigil-rbac-" });
  const dbNamespace = `rbac-db-${crypto.randomUUID().slice(0, 8)}`;
  let vigil: VigilProcess | undefined;
  try {
    await plane.kubectlOk(["apply", "--server-side", "-f", "-"], {
      stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    });
    const token = (await plane.kubectlOk([
      "create",
      "token",
      APP_NAME,
      "-n",
      NAMESPACE,
      "--duration=1h",
    ])).trim();
    const kubeconfig = `${tmp}/kubeconfig`;
    await Deno.writeTextFile(
      kubeconfig,
      await tokenKubeconfig(plane.kubeconfigPath, token, NAMESPACE),
    );
    const certDir = `${tmp}/certs`;
    await Deno.mkdir(certDir);
    await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));

    vigil = startVigil({
      server: plane.server,
      kubeconfig,
      read: [certDir],
      args: [
        `--webhook-cert-dir=${certDir}`,
        `--leader-election-namespace=${NAMESPACE}`,
        `--leader-election-id=${leaseId}`,
      ],
    });
    const log = () => vigil!.lines.join("\n");

    await eventually("/readyz to pass", async () => {
      const res = await fetch(`http://127.0.0.1:${vigil!.healthPort}/readyz`);
      await res.body?.cancel();
      return res.ok ? true : undefined;
    }, { timeoutMs: 60_000 });
    const getLease = async () =>
      JSON.parse(await plane.kubectlOk(["-n", NAMESPACE, "get", "lease", leaseId, "-o", "json"]));
    const holder = await eventually("the Lease to name a holder", async () => {
      return (await getLease()).spec?.holderIdentity as string | undefined;
    });
    assert.ok(holder.length > 0);

    // The reconciler, as the ServiceAccount, runs a Database to Ready and cleans it up.
    await plane.kubectlOk(["create", "namespace", dbNamespace]);
    await applyDatabase(plane, dbNamespace, "rbac", { storageSize: "1Gi", replicas: 2 });
    await waitReady(plane, dbNamespace, "rbac");
    await plane.kubectlOk(["-n", dbNamespace, "delete", "db/rbac", "--timeout=120s"]);

    assert.equal(await vigil.stop(), 0, log());
    assert.ok(!(await getLease()).spec.holderIdentity, "the Lease is released on SIGTERM");
    // RBAC denials name the user; other 403s (an Event in a namespace being
    // deleted) are not about the roles.
    assert.ok(
      !/forbidden: User "system:serviceaccount:/i.test(log()),
      `a request was denied by RBAC:\n${log()}`,
    );

    // Tight: exactly the declared rules, plus what every authenticated account has.
    const baseline = await baselineRules(plane, NAMESPACE, [APP_NAME]);
    const canI = async (namespace: string) =>
      parseCanIList(
        await plane.kubectlOk(["auth", "can-i", "--list", `--as=${SA}`, "-n", namespace]),
      );
    assert.deepEqual(
      await canI("default"),
      ruleAtoms([...OPERATOR_CLUSTER_RULES, ...baseline]),
      "outside vigil-system: the ClusterRole's rules only",
    );
    assert.deepEqual(
      await canI(NAMESPACE),
      ruleAtoms([...OPERATOR_CLUSTER_RULES, ...leaseRules(leaseId), ...baseline]),
      "in vigil-system: the ClusterRole's and the Lease Role's rules",
    );
    for (
      const [verb, resource] of [["create", "deployments"], ["create", "pods"], [
        "update",
        "databases",
      ]] as const
    ) {
      const denied = await plane.kubectl(["auth", "can-i", verb, resource, `--as=${SA}`]);
      assert.equal(denied.stdout.trim(), "no", `${verb} ${resource}`);
    }
    const bindings = JSON.parse(
      await plane.kubectlOk(["get", "clusterrolebindings,rolebindings", "-A", "-o", "json"]),
    ).items as { roleRef: { name: string } }[];
    assert.ok(!bindings.some((b) => b.roleRef.name === SELF_SIGNED_CLUSTER_ROLE));
  } finally {
    await vigil?.kill();
    await Deno.remove(tmp, { recursive: true });
    for (const o of clusterScoped.filter((o) => o.kind !== "Namespace")) {
      await plane.kubectl(["delete", o.kind, o.metadata.name, "--ignore-not-found"]);
    }
    await plane.kubectl(["delete", "namespace", NAMESPACE, "--wait=false", "--ignore-not-found"]);
    await plane.kubectl(["delete", "namespace", dbNamespace, "--wait=false", "--ignore-not-found"]);
  }
});
