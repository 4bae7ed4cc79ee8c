/**
 * Helpers for the reconciler's cluster tests: run Vigil scoped to one
 * namespace with a directory certificate (no webhook registration, so no
 * later test meets a webhook whose server is gone), read its write counters,
 * and wait on Databases.
 */
import { KubeClient, loadKubeConfig } from "../../../src/kube/mod.ts";
import { Informer, type KubeObject } from "../../../src/runtime/mod.ts";
import { generateSelfSigned, writeCertDirectory } from "../../../src/webhook/mod.ts";
import { eventually, type SharedPlane } from "../../support/shared_plane.ts";
import { startVigil, type VigilProcess } from "../../support/vigil_process.ts";

/** A Vigil process reconciling one namespace, and how to stop it. */
export interface ScopedVigil {
  readonly vigil: VigilProcess;
  /** Its webhook certificate directory (`ca.crt`, `tls.crt`, `tls.key`; removed on stop). */
  readonly certDir: string;
  /** Sum of `rest_client_requests_total` for write verbs, by verb. */
  writes(): Promise<Record<string, number>>;
  stop(): Promise<number>;
  kill(): Promise<void>;
  log(): string;
}

/** Starts `vigil run` for `namespace` under the binary's flags and waits for /readyz. */
export async function startScopedVigil(
  plane: SharedPlane,
  namespace: string,
  options: { kubeconfig?: string; extraArgs?: readonly string[] } = {},
): Promise<ScopedVigil> {
  const certDir = await Deno.makeTempDir({ prefix: "vigil-certs-" });
  await writeCertDirectory(certDir, await generateSelfSigned({ ipAddresses: ["127.0.0.1"] }));
  const vigil = startVigil({
    server: plane.server,
    kubeconfig: options.kubeconfig ?? plane.kubeconfigPath,
    read: [certDir],
    args: [
      `--webhook-cert-dir=${certDir}`,
      `--namespace=${namespace}`,
      `--leader-election-namespace=${namespace}`,
      `--leader-election-id=vigil-${namespace}`,
      ...(options.extraArgs ?? []),
    ],
  });
  const cleanup = () => Deno.remove(certDir, { recursive: true }).catch(() => {});
  try {
    await eventually("/readyz to pass", async () => {
      const res = await fetch(`http://127.0.0.1:${vigil.healthPort}/readyz`);
      await res.body?.cancel();
      return res.ok ? true : undefined;
    }, { timeoutMs: 60_000 });
  } catch (err) {
    await vigil.kill();
    await cleanup();
    throw new Error(`${(err as Error).message}\n${vigil.lines.join("\n")}`);
  }
  return {
    vigil,
    certDir,
    writes: () => writeCounts(vigil.metricsPort!),
    async stop() {
      const code = await vigil.stop();
      await cleanup();
      return code;
    },
    async kill() {
      await vigil.kill();
      await cleanup();
    },
    log: () => vigil.lines.join("\n"),
  };
}

/** Write requests Vigil made so far, by verb, from its own `rest_client_requests_total`. */
export async function writeCounts(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^rest_client_requests_total\{([^}]*)\} ([0-9.e+]+)$/);
    if (m === null) continue;
    const method = m[1]!.match(/method="([A-Z]+)"/)?.[1] ?? "";
    if (!["POST", "PUT", "PATCH", "DELETE"].includes(method)) continue;
    counts[method] = (counts[method] ?? 0) + Number(m[2]);
  }
  return counts;
}

/** Sum of every series of one metric on Vigil's /metrics. */
export async function metricSum(metricsPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

/** Total of a {@link writeCounts} result. */
export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Reads one object as JSON, or undefined when it does not exist. */
export async function getJson<T = Record<string, unknown>>(
  plane: SharedPlane,
  namespace: string,
  kindName: string,
): Promise<T | undefined> {
  const r = await plane.kubectl(["-n", namespace, "get", kindName, "-o", "json"]);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`Cannot get ${kindName}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as T;
}

/** Applies a Database manifest. */
export async function applyDatabase(
  plane: SharedPlane,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  await plane.kubectlOk(["-n", namespace, "apply", "-f", "-"], {
    stdin: JSON.stringify({
      apiVersion: "vigil.dev/v1",
      kind: "Database",
      metadata: { name, ...metadata },
      spec,
    }),
  });
}

/** Waits with `kubectl wait --for=condition=Ready`, as a user would. */
export async function waitReady(
  plane: SharedPlane,
  namespace: string,
  name: string,
  timeout = "120s",
): Promise<void> {
  await plane.kubectlOk([
    "-n",
    namespace,
    "wait",
    "--for=condition=Ready",
    `db/${name}`,
    `--timeout=${timeout}`,
  ]);
}

/** Deletes every Database of the namespace and waits until they are gone (Vigil must be running). */
export async function deleteDatabases(plane: SharedPlane, namespace: string): Promise<void> {
  await plane.kubectl(["-n", namespace, "delete", "db", "--all", "--wait=true", "--timeout=120s"]);
}

/** One thing seen of a Database's pods, in the order the watch delivered it. */
export interface PodMoment {
  readonly type: "gone" | "ready";
  readonly ordinal: number;
  readonly image: string;
  /** The pod's `controller-revision-hash`. */
  readonly revision: string;
}

/**
 * The moments a rollout makes: a pod leaving a revision, and a pod Ready on a
 * revision its ordinal did not run before. Dropped: a pod replaced by one of
 * the same ordinal on the same revision. The kwok plane makes those on its
 * own: it deletes a terminating pod by name, without a UID precondition, and
 * sometimes twice, so the second delete can take the StatefulSet's fresh
 * replacement (`kwok.log`: "Delete pod", then "failed to apply stage" with
 * NotFound). A kubelet never does that, and Vigil logs every pod it deletes.
 */
export function revisionMoments(moments: readonly PodMoment[]): PodMoment[] {
  return moments.filter((m, i) => {
    if (m.type === "gone") {
      const next = moments.slice(i + 1).find((n) => n.type === "ready" && n.ordinal === m.ordinal);
      return next === undefined || next.revision !== m.revision;
    }
    const previous = moments.slice(0, i).findLast((p) =>
      p.type === "ready" && p.ordinal === m.ordinal
    );
    return previous === undefined || previous.revision !== m.revision;
  });
}

/** Watches the database pods of one Database and records what a test checks about a rollout. */
export interface PodWatch {
  /** Pods leaving (deletion started) and pods becoming Ready the first time, with their image. */
  readonly moments: PodMoment[];
  /** Most replicas (of `expected`) seen not Ready, or missing, at any one time. */
  maxUnavailable(): number;
  stop(): Promise<void>;
}

interface WatchedPod {
  metadata?: {
    name?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec?: { containers?: Array<{ image?: string }> };
  status?: { conditions?: Array<{ type?: string; status?: string }> };
}

/**
 * Watches the pods of Database `name` through an informer (every change is
 * seen, unlike polling) and records when each ordinal's pod goes and when it
 * becomes Ready, and the most pods unavailable at once among `expected`
 * replicas — counted only after all of them were first Ready.
 */
export async function watchPods(
  plane: SharedPlane,
  namespace: string,
  name: string,
  expected: number,
): Promise<PodWatch> {
  const client = new KubeClient(
    (await loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath })).kubeConfig,
  );
  const informer = new Informer<KubeObject>(client, {
    group: "",
    version: "v1",
    plural: "pods",
    namespaced: true,
    kind: "Pod",
  }, {
    namespace,
    labelSelector: `app.kubernetes.io/instance=${name},app.kubernetes.io/component=database`,
  });
  const moments: PodMoment[] = [];
  const readyNow = new Map<string, boolean>();
  let max = 0;
  let armed = false;
  let synced = false;
  const ordinal = (p: WatchedPod) => Number((p.metadata?.name ?? "").split("-").at(-1));
  const image = (p: WatchedPod) => p.spec?.containers?.[0]?.image ?? "";
  const moment = (type: "gone" | "ready", p: WatchedPod): PodMoment => ({
    type,
    ordinal: ordinal(p),
    image: image(p),
    revision: p.metadata?.labels?.["controller-revision-hash"] ?? "",
  });
  const isReady = (p: WatchedPod) =>
    p.metadata?.deletionTimestamp === undefined &&
    (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
  const observe = () => {
    const pods = informer.store.list() as WatchedPod[];
    const ready = pods.filter((p) => ordinal(p) < expected && isReady(p)).length;
    if (ready === expected) armed = true;
    if (armed) max = Math.max(max, expected - ready);
  };
  const seen = (p: WatchedPod) => {
    const key = `${p.metadata?.name}/${(p.metadata as { uid?: string } | undefined)?.uid}`;
    const was = readyNow.get(key) ?? false;
    const now = isReady(p);
    readyNow.set(key, now);
    if (now && !was && readyNow.get(`${key}/ready`) !== true) {
      readyNow.set(`${key}/ready`, true);
      // Pods already Ready when the watch started are the baseline, not a moment.
      if (synced) moments.push(moment("ready", p));
    }
    if (
      !now && p.metadata?.deletionTimestamp !== undefined && readyNow.get(`${key}/gone`) !== true
    ) {
      readyNow.set(`${key}/gone`, true);
      moments.push(moment("gone", p));
    }
    observe();
  };
  informer.addEventHandler({
    onAdd: (o) => seen(o as WatchedPod),
    onUpdate: (_o, n) => seen(n as WatchedPod),
    onDelete: (o) => {
      if (!("key" in o)) {
        const p = o as WatchedPod;
        const key = `${p.metadata?.name}/${(p.metadata as { uid?: string } | undefined)?.uid}`;
        if (readyNow.get(`${key}/gone`) !== true) {
          readyNow.set(`${key}/gone`, true);
          moments.push(moment("gone", p));
        }
      }
      observe();
    },
  });
  const ac = new AbortController();
  const running = informer.start(ac.signal);
  await informer.waitForSync(ac.signal);
  synced = true;
  return {
    moments,
    maxUnavailable: () => max,
    async stop() {
      ac.abort();
      await running;
    },
  };
}

/** Patches a Database's spec with a JSON merge patch. */
export async function patchDatabase(
  plane: SharedPlane,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await plane.kubectlOk([
    "-n",
    namespace,
    "patch",
    "db",
    name,
    "--type=merge",
    "-p",
    JSON.stringify({ spec }),
  ]);
}

/** Events of one reason on one Database, with their aggregated counts summed. */
export async function eventCount(
  plane: SharedPlane,
  namespace: string,
  name: string,
  reason: string,
): Promise<number> {
  const list = JSON.parse(
    await plane.kubectlOk([
      "-n",
      namespace,
      "get",
      "events",
      "--field-selector",
      `involvedObject.name=${name},involvedObject.kind=Database,reason=${reason}`,
      "-o",
      "json",
    ]),
  ) as { items: Array<{ count?: number; series?: { count?: number } }> };
  return list.items.reduce((n, e) => n + (e.series?.count ?? e.count ?? 1), 0);
}
