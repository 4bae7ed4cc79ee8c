/**
 * Vigil's least-privilege RBAC: what `vigil run` does, nothing more; the
 * cluster test `tests/cluster/deploy/rbac_test.ts` proves the set by
 * reconciling a Database to Ready as the ServiceAccount.
 *
 * - Cluster-wide (Databases live in every namespace): Databases
 *   get/list/watch/patch (server-side apply of the `vigil.dev/cleanup`
 *   finalizer); their `status` (server-side apply of status) and
 *   `finalizers` (owner references with `blockOwnerDeletion` need `update`
 *   on it) subresources;
 * - the kinds a Database owns (Secrets, ConfigMaps, Services, StatefulSets,
 *   PodDisruptionBudgets, CronJobs, PVCs): get/list/watch, and create/patch
 *   (server-side apply needs `create` when the object does not exist yet) and
 *   delete (cleanup, a PDB or CronJob no longer wanted; a StatefulSet
 *   recreated with orphaned pods for a new claim size); Pods get/list/watch
 *   (cleanup waits for them to go, rollouts read readiness) and delete (a
 *   replica stuck on a failed revision is deleted on rollback); the backup
 *   CronJob's Jobs get/list/watch (last backup time, failed backups);
 *   StorageClasses get/list/watch (the validating webhook's informer);
 *   Events create/patch, core and `events.k8s.io` (the event recorder
 *   aggregates repeats with a patch).
 * - In `vigil-system` only: the leader-election Lease get/create/update.
 *   `resourceNames` cannot restrict `create` (a POST names no object in its
 *   URL, so the authorizer sees no name), so `create` is a rule of its own on
 *   every Lease of the namespace, and get/update are restricted to the Lease.
 * - `vigil-self-signed`, bound to nothing: what `--webhook-self-signed`
 *   needs in development to write the webhook configurations, patch the
 *   CRD's conversion `caBundle`, and create or read the Secret of the CA
 *   every replica shares (`create` on Secrets cannot be restricted by name).
 *   Bind it by hand, never in production.
 *
 * @module
 */
import type { V1PolicyRule } from "@kubernetes/client-node";
// Modules directly, not mod.ts: the generator must not load client-node (it reads env).
import { CRD_NAME } from "../database/crd.ts";
import { databaseWebhookConfigurations } from "../database/webhook_configurations.ts";
import { SELF_SIGNED_CA_SECRET } from "../webhook/self_signed.ts";
import {
  APP_NAME,
  installLabels,
  type KubeObject,
  NAMESPACE,
  type ResolvedInstallOptions,
} from "./install_options.ts";

/** Name of the development-only ClusterRole for `--webhook-self-signed`. */
export const SELF_SIGNED_CLUSTER_ROLE = "vigil-self-signed";

const OWNED_VERBS = ["get", "list", "watch", "create", "patch", "delete"];

/** Rules of the `vigil` ClusterRole (bound cluster-wide to the ServiceAccount). */
export const OPERATOR_CLUSTER_RULES: readonly V1PolicyRule[] = [
  {
    apiGroups: ["vigil.dev"],
    resources: ["databases"],
    verbs: ["get", "list", "watch", "patch"],
  },
  { apiGroups: ["vigil.dev"], resources: ["databases/status"], verbs: ["get", "patch"] },
  { apiGroups: ["vigil.dev"], resources: ["databases/finalizers"], verbs: ["update"] },
  {
    apiGroups: [""],
    resources: ["secrets", "configmaps", "services", "persistentvolumeclaims"],
    verbs: OWNED_VERBS,
  },
  { apiGroups: ["apps"], resources: ["statefulsets"], verbs: OWNED_VERBS },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: OWNED_VERBS },
  { apiGroups: ["batch"], resources: ["cronjobs"], verbs: OWNED_VERBS },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
];

/** Rules of the `vigil` Role in `vigil-system`: leader election on the Lease `leaseName`. */
export function leaseRules(leaseName: string): V1PolicyRule[] {
  return [
    {
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      resourceNames: [leaseName],
      verbs: ["get", "update"],
    },
    // No resourceNames: Kubernetes cannot restrict create by name.
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
  ];
}

/** Rules of the unbound `vigil-self-signed` ClusterRole (development only). */
export function selfSignedRules(): V1PolicyRule[] {
  const { mutating, validating } = databaseWebhookConfigurations();
  return [
    {
      apiGroups: ["admissionregistration.k8s.io"],
      resources: ["mutatingwebhookconfigurations"],
      resourceNames: [mutating.name],
      verbs: ["get", "patch"],
    },
    {
      apiGroups: ["admissionregistration.k8s.io"],
      resources: ["validatingwebhookconfigurations"],
      resourceNames: [validating.name],
      verbs: ["get", "patch"],
    },
    // No resourceNames: Kubernetes cannot restrict create by name.
    {
      apiGroups: ["admissionregistration.k8s.io"],
      resources: ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
      verbs: ["create"],
    },
    {
      apiGroups: ["apiextensions.k8s.io"],
      resources: ["customresourcedefinitions"],
      resourceNames: [CRD_NAME],
      verbs: ["get", "patch"],
    },
    // The CA all self-signed replicas share: the first creates it, every replica reads it.
    {
      apiGroups: [""],
      resources: ["secrets"],
      resourceNames: [SELF_SIGNED_CA_SECRET],
      verbs: ["get"],
    },
    // No resourceNames: Kubernetes cannot restrict create by name.
    { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
  ];
}

function copy(rules: readonly V1PolicyRule[]): V1PolicyRule[] {
  return rules.map((r) => structuredClone(r));
}

/**
 * The ServiceAccount, the ClusterRole and its binding, the Lease Role and its
 * binding, and the unbound `vigil-self-signed` ClusterRole, in apply order.
 */
export function buildRbac(options: ResolvedInstallOptions): KubeObject[] {
  const labels = installLabels(options, "rbac");
  const subject = { kind: "ServiceAccount", name: APP_NAME, namespace: NAMESPACE };
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: APP_NAME, namespace: NAMESPACE, labels },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: APP_NAME, labels },
      rules: copy(OPERATOR_CLUSTER_RULES),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: APP_NAME, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: APP_NAME },
      subjects: [subject],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: APP_NAME, namespace: NAMESPACE, labels },
      rules: leaseRules(options.leaderElectionId),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: APP_NAME, namespace: NAMESPACE, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: APP_NAME },
      subjects: [subject],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: {
        name: SELF_SIGNED_CLUSTER_ROLE,
        labels,
        annotations: {
          "vigil.dev/description": "Development only (--webhook-self-signed); bound to nothing. " +
            `Bind it to ${NAMESPACE}/${APP_NAME} by hand if you need it.`,
        },
      },
      rules: selfSignedRules(),
    },
  ];
}
