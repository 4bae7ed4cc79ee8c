/**
 * The AdmissionReview body the webhook benchmarks send.
 *
 * @module
 */

/** A CREATE of examples/postgres.yaml as the apiserver sends it to a validating webhook. */
export function admissionReviewBody(): string {
  return JSON.stringify({
    kind: "AdmissionReview",
    apiVersion: "admission.k8s.io/v1",
    request: {
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group: "vigil.dev", version: "v1", kind: "Database" },
      resource: { group: "vigil.dev", version: "v1", resource: "databases" },
      requestKind: { group: "vigil.dev", version: "v1", kind: "Database" },
      requestResource: { group: "vigil.dev", version: "v1", resource: "databases" },
      name: "orders",
      namespace: "shop",
      operation: "CREATE",
      userInfo: {
        username: "kubernetes-admin",
        groups: ["kubeadm:cluster-admins", "system:authenticated"],
      },
      object: {
        apiVersion: "vigil.dev/v1",
        kind: "Database",
        metadata: {
          annotations: {
            "kubectl.kubernetes.io/last-applied-configuration":
              '{"apiVersion":"vigil.dev/v1","kind":"Database","metadata":{"annotations":{},"name":"orders","namespace":"shop"},"spec":{"backupSchedule":"@daily","config":{"max_connections":"200","shared_buffers":"256MB"},"engine":"postgres","replicas":3,"storageSize":"1Gi","version":"17.5"}}\n',
          },
          creationTimestamp: "2026-12-02T03:00:00Z",
          generation: 1,
          managedFields: [{
            apiVersion: "vigil.dev/v1",
            fieldsType: "FieldsV1",
            fieldsV1: {
              "f:metadata": {
                "f:annotations": {
                  ".": {},
                  "f:kubectl.kubernetes.io/last-applied-configuration": {},
                },
              },
              "f:spec": {
                ".": {},
                "f:backupSchedule": {},
                "f:config": { ".": {}, "f:max_connections": {}, "f:shared_buffers": {} },
                "f:engine": {},
                "f:replicas": {},
                "f:storageSize": {},
                "f:version": {},
              },
            },
            manager: "kubectl-client-side-apply",
            operation: "Update",
            time: "2026-12-02T03:00:00Z",
          }],
          name: "orders",
          namespace: "shop",
          uid: "4b1d7f0e-2c1a-4f57-9a43-0c7e3b8e2f11",
        },
        spec: {
          engine: "postgres",
          version: "17.5",
          replicas: 3,
          storageSize: "1Gi",
          config: { max_connections: "200", shared_buffers: "256MB" },
          backupSchedule: "@daily",
        },
      },
      oldObject: null,
      dryRun: false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1", fieldManager: "kubectl" },
    },
  });
}
