/**
 * kwok Stages the test plane adds to kwok's defaults, for the failure paths of
 * Vigil's day-2 tests: a database image that never starts, and a backup Job
 * that fails. Every other pod follows the default stages.
 *
 * - `pod-image-pull-backoff`: a pod with a container image whose tag ends in
 *   {@link BROKEN_IMAGE_TAG} stays `Pending`, not Ready, its container waiting
 *   with `ImagePullBackOff` — what a kubelet reports for a tag that does not
 *   exist. It shares the default `pod-ready` stage's selector and wins by
 *   weight; its status has no clock in it, so replaying it changes nothing.
 * - `pod-job-failed`: a running Job pod of a Database named
 *   `${FAILING_BACKUP_PREFIX}…` ends `Failed` with exit code 1, instead of the
 *   default `pod-complete`.
 *
 * @module
 */

/** Image tags that never become Ready on the test plane (`postgres:0.0.0-broken`). */
export const BROKEN_IMAGE_TAG = "0.0.0-broken";
/** Databases whose name starts with this get backup Jobs that fail. */
export const FAILING_BACKUP_PREFIX = "failing-backup";

const imagePullBackOff = {
  apiVersion: "kwok.x-k8s.io/v1alpha1",
  kind: "Stage",
  metadata: { name: "pod-image-pull-backoff" },
  spec: {
    resourceRef: { apiGroup: "v1", kind: "Pod" },
    selector: {
      matchExpressions: [
        { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
        {
          key: `.spec.containers.[].image | endswith(":${BROKEN_IMAGE_TAG}")`,
          operator: "In",
          values: ["true"],
        },
      ],
    },
    weight: 1000,
    next: {
      statusTemplate: [
        "{{ $created := .metadata.creationTimestamp }}",
        "conditions:",
        "- lastTransitionTime: {{ $created | Quote }}",
        '  status: "True"',
        "  type: Initialized",
        "- lastTransitionTime: {{ $created | Quote }}",
        '  status: "False"',
        "  reason: ContainersNotReady",
        "  type: Ready",
        "- lastTransitionTime: {{ $created | Quote }}",
        '  status: "False"',
        "  reason: ContainersNotReady",
        "  type: ContainersReady",
        "containerStatuses:",
        "{{ range .spec.containers }}",
        "- image: {{ .image | Quote }}",
        "  name: {{ .name | Quote }}",
        "  ready: false",
        "  restartCount: 0",
        "  started: false",
        "  state:",
        "    waiting:",
        "      reason: ImagePullBackOff",
        '      message: {{ printf "Back-off pulling image %q" .image | Quote }}',
        "{{ end }}",
        "phase: Pending",
      ].join("\n"),
    },
  },
};

const jobFailed = {
  apiVersion: "kwok.x-k8s.io/v1alpha1",
  kind: "Stage",
  metadata: { name: "pod-job-failed" },
  spec: {
    resourceRef: { apiGroup: "v1", kind: "Pod" },
    selector: {
      matchExpressions: [
        { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
        { key: ".status.phase", operator: "In", values: ["Running"] },
        { key: ".metadata.ownerReferences.[].kind", operator: "In", values: ["Job"] },
        {
          key: `.metadata.labels["app.kubernetes.io/instance"] // "" | ` +
            `startswith("${FAILING_BACKUP_PREFIX}")`,
          operator: "In",
          values: ["true"],
        },
      ],
    },
    weight: 1000,
    next: {
      statusTemplate: [
        "{{ $now := Now }}",
        "conditions:",
        "- lastTransitionTime: {{ $now | Quote }}",
        '  status: "False"',
        "  reason: PodFailed",
        "  type: Ready",
        "containerStatuses:",
        "{{ range .spec.containers }}",
        "- image: {{ .image | Quote }}",
        "  name: {{ .name | Quote }}",
        "  ready: false",
        "  restartCount: 0",
        "  started: false",
        "  state:",
        "    terminated:",
        "      exitCode: 1",
        "      reason: Error",
        "      finishedAt: {{ $now | Quote }}",
        "      startedAt: {{ $now | Quote }}",
        "{{ end }}",
        "phase: Failed",
      ].join("\n"),
    },
  },
};

/**
 * Writes the stages to `<dir>/kwok-test-stages.yaml` (JSON documents are
 * YAML) and returns kwok's flag that loads them next to the defaults.
 */
export async function kwokTestStagesFlag(dir: string): Promise<string> {
  const path = `${dir}/kwok-test-stages.yaml`;
  await Deno.writeTextFile(
    path,
    [imagePullBackOff, jobFailed].map((s) => JSON.stringify(s)).join("\n---\n") + "\n",
  );
  return `--config=${path}`;
}
