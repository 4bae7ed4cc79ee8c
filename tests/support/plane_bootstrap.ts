/**
 * How the plane's components are started: certificates and kubeconfigs, then
 * etcd, kube-apiserver and — for a full plane — controller-manager,
 * scheduler, kwok, the provisioner and kwok's nodes, with the flags each
 * upstream binary takes.
 *
 * @module
 */
import type { Plane, PlaneOptions } from "./plane.ts";
import { renderKubeconfig } from "./kubeconfig_file.ts";
import { kwokTestStagesFlag } from "./kwok_test_stages.ts";

/** The loopback ports one plane uses. */
export type PlanePorts = Record<
  "etcdPort" | "etcdPeerPort" | "apiPort" | "kcmPort" | "schedPort" | "kwokPort",
  number
>;

/**
 * Client rate limit of kube-controller-manager and kube-scheduler: requests
 * per second, and burst. Far above what the apiserver and etcd on a couple of
 * shared cores can serve (a few hundred writes/s), so the plane's floor is
 * the cluster's own speed, not a default throttle (client-go's 20/30 in the
 * controller-manager, 50/100 in the scheduler); 2× burst absorbs the spike of
 * a batch of creates. kube-controller-manager gives each controller a client
 * of its own (`--use-service-account-credentials`), each with this limit.
 */
const CLIENT_QPS = 200;
const CLIENT_BURST = 400;
const CLIENT_RATE_FLAGS = [`--kube-api-qps=${CLIENT_QPS}`, `--kube-api-burst=${CLIENT_BURST}`];

/** Starts every component of `plane` in order; resolves once it is ready. */
export async function bootstrap(
  plane: Plane,
  options: PlaneOptions,
  ports: PlanePorts,
): Promise<void> {
  const dir = plane.dir;
  const pki = `${dir}/pki`;
  const started = performance.now();
  const pkiRun = await new Deno.Command(plane.binary, { args: ["pki", `--dir=${pki}`] }).output();
  if (!pkiRun.success) {
    throw new Error(`Cannot create certificates: ${new TextDecoder().decode(pkiRun.stderr)}`);
  }
  const ca = await Deno.readTextFile(`${pki}/ca.crt`);
  for (const user of ["admin", "controller-manager", "scheduler"]) {
    await Deno.writeTextFile(
      `${dir}/${user}.kubeconfig`,
      renderKubeconfig(plane.server, {
        caPem: ca,
        certPem: await Deno.readTextFile(`${pki}/${user}.crt`),
        keyPem: await Deno.readTextFile(`${pki}/${user}.key`),
        user,
      }),
    );
  }

  const peer = `http://127.0.0.1:${ports.etcdPeerPort}`;
  await plane.addComponent("etcd", [
    "--name=vigil",
    `--data-dir=${dir}/etcd`,
    `--listen-client-urls=${plane.etcdUrl}`,
    `--advertise-client-urls=${plane.etcdUrl}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=vigil=${peer}`,
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ]);
  await plane.addComponent("kube-apiserver", [
    `--etcd-servers=${plane.etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    // The kubernetes Service endpoint may not be loopback; nothing here needs it.
    "--endpoint-reconciler-type=none",
    `--secure-port=${ports.apiPort}`,
    `--tls-cert-file=${pki}/apiserver.crt`,
    `--tls-private-key-file=${pki}/apiserver.key`,
    `--client-ca-file=${pki}/ca.crt`,
    `--service-account-key-file=${pki}/sa.pub`,
    `--service-account-signing-key-file=${pki}/sa.key`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    "--service-cluster-ip-range=10.96.0.0/16",
    "--authorization-mode=Node,RBAC",
    "--allow-privileged=true",
    "--profiling=false",
    ...(options.apiserverArgs ?? []),
  ]);
  await plane.waitReady();
  if ((options.mode ?? "full") === "apiserver") return;

  const authArgs = (user: string) => [
    `--kubeconfig=${dir}/${user}.kubeconfig`,
    `--authentication-kubeconfig=${dir}/${user}.kubeconfig`,
    `--authorization-kubeconfig=${dir}/${user}.kubeconfig`,
    "--bind-address=127.0.0.1",
    "--leader-elect=false",
  ];
  await plane.addComponent("kube-controller-manager", [
    ...authArgs("controller-manager"),
    // Client-go's default 20 qps / 30 burst per controller client made the
    // StatefulSet controller (pod + PVC creates, status and event writes:
    // ~6 requests per StatefulSet) the plane's floor at ~3.3 StatefulSets/s.
    ...CLIENT_RATE_FLAGS,
    `--secure-port=${ports.kcmPort}`,
    `--service-account-private-key-file=${pki}/sa.key`,
    `--root-ca-file=${pki}/ca.crt`,
    `--cluster-signing-cert-file=${pki}/ca.crt`,
    `--cluster-signing-key-file=${pki}/ca.key`,
    "--use-service-account-credentials=true",
    "--controllers=*",
  ]);
  // --kube-api-qps/--kube-api-burst are deprecated in kube-scheduler (and
  // ignored with --config): the client rate goes in its configuration file,
  // which then carries the kubeconfig and leader election too.
  await Deno.writeTextFile(
    `${dir}/scheduler-config.yaml`,
    JSON.stringify({
      apiVersion: "kubescheduler.config.k8s.io/v1",
      kind: "KubeSchedulerConfiguration",
      clientConnection: {
        kubeconfig: `${dir}/scheduler.kubeconfig`,
        qps: CLIENT_QPS,
        burst: CLIENT_BURST,
      },
      leaderElection: { leaderElect: false },
    }),
  );
  await plane.addComponent("kube-scheduler", [
    `--config=${dir}/scheduler-config.yaml`,
    `--authentication-kubeconfig=${dir}/scheduler.kubeconfig`,
    `--authorization-kubeconfig=${dir}/scheduler.kubeconfig`,
    "--bind-address=127.0.0.1",
    `--secure-port=${ports.schedPort}`,
  ]);
  // kwok v0.8.0 has no client rate limit to raise: its clientset uses
  // flowcontrol.NewFakeAlwaysRateLimiter (pkg/utils/client), and
  // KwokConfiguration has no kubeQPS/kubeBurst option.
  await plane.addComponent("kwok", [
    `--kubeconfig=${dir}/admin.kubeconfig`,
    "--manage-all-nodes=false",
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    "--node-lease-duration-seconds=40",
    "--cidr=10.244.0.0/16",
    "--node-ip=10.0.0.1",
    `--server-address=127.0.0.1:${ports.kwokPort}`,
    await kwokTestStagesFlag(dir),
  ]);
  await plane.addComponent("provisioner", [`--kubeconfig=${dir}/admin.kubeconfig`]);
  const nodes = options.nodes ?? 3;
  await plane.kubectlOk(["apply", "-f", "-"], { stdin: nodeManifests(nodes) });
  const wait = await plane.kubectl([
    "wait",
    "--for=condition=Ready",
    "node",
    "--all",
    `--timeout=${Math.round((options.readyTimeoutMs ?? 120_000) / 1000)}s`,
  ]);
  if (wait.code !== 0) {
    throw new Error(`Cannot get kwok nodes Ready: ${wait.stderr}\n${await plane.logTail("kwok")}`);
  }
  options.log?.(
    `control plane ready in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s at ${plane.server}`,
  );
}

function nodeManifests(count: number): string {
  const items = Array.from({ length: count }, (_, i) => {
    const name = `kwok-node-${i}`;
    const resources = { cpu: "32", memory: "256Gi", pods: "110", "ephemeral-storage": "1Ti" };
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "topology.kubernetes.io/zone": `zone-${"abc"[i % 3]}`,
          type: "kwok",
        },
      },
      status: { allocatable: resources, capacity: resources },
    };
  });
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}
