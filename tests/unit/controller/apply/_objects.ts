/**
 * Realistic desired objects of one postgres Database, shaped like the
 * reconciler's builders emit them; shared by the apply unit tests and the
 * apply cluster test (which applies them to a real apiserver).
 *
 * @module
 */
import type { KubeObject } from "../../../../src/runtime/mod.ts";

const NAME = "orders";

/** The owner of every object (the cluster test passes a real Database's). */
export interface Owner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** An owner reference to a Database that exists nowhere (unit tests never meet a garbage collector). */
export const OWNER: Owner = {
  apiVersion: "vigil.dev/v1",
  kind: "Database",
  name: NAME,
  uid: "7c0d6a36-1b53-4c4e-9a55-6a1f1d0c2b11",
};

function meta(namespace: string, name: string, component: string, owner: Owner) {
  return {
    name,
    namespace,
    labels: {
      "app.kubernetes.io/name": "postgres",
      "app.kubernetes.io/instance": NAME,
      "app.kubernetes.io/component": component,
      "app.kubernetes.io/managed-by": "vigil",
    },
    ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }],
  };
}

const SELECTOR = { "app.kubernetes.io/instance": NAME, "app.kubernetes.io/component": "database" };

/** The credentials Secret, with `data` (base64). */
export function secret(namespace: string, owner: Owner = OWNER): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(namespace, `${NAME}-credentials`, "credentials", owner),
    type: "Opaque",
    data: {
      username: btoa("vigil"),
      password: btoa("c2VjcmV0LXBhc3N3b3JkLTI0Y2hhcnM"),
      database: btoa(NAME),
      host: btoa(`${NAME}.${namespace}.svc`),
      port: btoa("5432"),
    },
  };
}

/** The engine config file. */
export function configMap(namespace: string, owner: Owner = OWNER): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(namespace, `${NAME}-config`, "config", owner),
    data: { "postgresql.conf": "listen_addresses = '*'\nmax_connections = 100\n" },
  };
}

/** The headless Service of the StatefulSet. */
export function headlessService(namespace: string, owner: Owner = OWNER): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(namespace, `${NAME}-headless`, "database", owner),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: SELECTOR,
      ports: [{ name: "postgres", port: 5432, targetPort: "postgres" }],
    },
  };
}

/** The client Service. */
export function clientService(namespace: string, owner: Owner = OWNER): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(namespace, NAME, "database", owner),
    spec: {
      type: "ClusterIP",
      // A zero value Go's omitempty drops on the server: absent in live, no drift.
      publishNotReadyAddresses: false,
      selector: SELECTOR,
      ports: [{ name: "postgres", port: 5432, targetPort: 5432, protocol: "TCP" }],
    },
  };
}

/**
 * The StatefulSet: claim template, probes, env from the Secret, security
 * context, resources. `memory` and `cpu` are written the way a user may
 * write them in `spec.resources` (`0.5`, `1.5Gi`), which the apiserver
 * stores in canonical form (`500m`, `1536Mi`).
 */
export function statefulSet(namespace: string, owner: Owner = OWNER): KubeObject {
  const secretRef = (key: string) => ({
    valueFrom: { secretKeyRef: { name: `${NAME}-credentials`, key } },
  });
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: meta(namespace, NAME, "database", owner),
    spec: {
      replicas: 1,
      serviceName: `${NAME}-headless`,
      podManagementPolicy: "OrderedReady",
      selector: { matchLabels: SELECTOR },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: {
          labels: { ...meta(namespace, NAME, "database", owner).labels },
          annotations: { "vigil.dev/config-hash": "5f1c2a9e" },
        },
        spec: {
          terminationGracePeriodSeconds: 60,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 999,
            runAsGroup: 999,
            fsGroup: 999,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: "postgres",
            image: "docker.io/library/postgres:17.2",
            args: ["-c", "config_file=/etc/postgresql/postgresql.conf"],
            ports: [{ name: "postgres", containerPort: 5432 }],
            env: [
              { name: "POSTGRES_USER", ...secretRef("username") },
              { name: "POSTGRES_PASSWORD", ...secretRef("password") },
              { name: "POSTGRES_DB", ...secretRef("database") },
              { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
            ],
            resources: {
              requests: { cpu: "0.5", memory: "1.5Gi" },
              limits: { cpu: "1", memory: "2Gi" },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: false,
              capabilities: { drop: ["ALL"] },
            },
            startupProbe: {
              exec: { command: ["pg_isready", "-h", "127.0.0.1", "-p", "5432"] },
              periodSeconds: 5,
              failureThreshold: 60,
            },
            readinessProbe: {
              exec: { command: ["pg_isready", "-h", "127.0.0.1", "-p", "5432"] },
              periodSeconds: 5,
              timeoutSeconds: 3,
            },
            livenessProbe: {
              tcpSocket: { port: "postgres" },
              periodSeconds: 10,
              failureThreshold: 6,
            },
            lifecycle: {
              preStop: { exec: { command: ["pg_ctl", "stop", "-m", "fast"] } },
            },
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/postgresql/data" },
              {
                name: "config",
                mountPath: "/etc/postgresql/postgresql.conf",
                subPath: "postgresql.conf",
                readOnly: true,
              },
            ],
          }],
          volumes: [{ name: "config", configMap: { name: `${NAME}-config` } }],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: "data", labels: { ...meta(namespace, NAME, "data", owner).labels } },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "10Gi" } },
        },
      }],
    },
  };
}

/** The PodDisruptionBudget (replicas > 1). */
export function podDisruptionBudget(namespace: string, owner: Owner = OWNER): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta(namespace, NAME, "database", owner),
    spec: { maxUnavailable: 1, selector: { matchLabels: SELECTOR } },
  };
}

/** The backup CronJob. */
export function cronJob(namespace: string, owner: Owner = OWNER): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: meta(namespace, `${NAME}-backup`, "backup", owner),
    spec: {
      schedule: "@daily",
      concurrencyPolicy: "Forbid",
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          template: {
            spec: {
              restartPolicy: "OnFailure",
              securityContext: { runAsNonRoot: true, runAsUser: 999, fsGroup: 999 },
              containers: [{
                name: "backup",
                image: "docker.io/library/postgres:17.2",
                command: ["sh", "-c", 'pg_dump -h "$PGHOST" -U "$PGUSER" > /backup/dump.sql'],
                env: [
                  { name: "PGHOST", value: `${NAME}.${namespace}.svc` },
                  {
                    name: "PGUSER",
                    valueFrom: { secretKeyRef: { name: `${NAME}-credentials`, key: "username" } },
                  },
                ],
                volumeMounts: [{ name: "backup", mountPath: "/backup" }],
              }],
              volumes: [{
                name: "backup",
                persistentVolumeClaim: { claimName: `${NAME}-backup` },
              }],
            },
          },
        },
      },
    },
  };
}

/** Every realistic object of one Database (default {@link OWNER}), in apply order. */
export function realisticObjects(namespace: string, owner: Owner = OWNER): KubeObject[] {
  return [
    secret(namespace, owner),
    configMap(namespace, owner),
    headlessService(namespace, owner),
    clientService(namespace, owner),
    statefulSet(namespace, owner),
    podDisruptionBudget(namespace, owner),
    cronJob(namespace, owner),
  ];
}

/** Freezes `value` and everything in it, as the informer caches hold objects. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
