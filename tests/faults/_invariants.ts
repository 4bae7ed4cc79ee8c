/**
 * The invariants every fault scenario checks after its fault:
 *
 * 1. every Database converges to Ready with the spec it has (status at its
 *    generation, version, StatefulSet and pods at the spec's replicas and
 *    image, the ConfigMap carrying `spec.config`, PVCs of at least
 *    `spec.storageSize`);
 * 2. no owned object, Database or PVC was deleted or recreated that should
 *    not have been (UIDs before and after), and no pod was replaced except
 *    those of Databases an upgrade or config change rolled;
 * 3. at most one process reconciled at any moment (the pair's monitor:
 *    master status of both processes, reconciles of the standby, the Lease);
 * 4. Vigil's writes after recovery settle to 0.
 *
 * @module
 */
import { eventually, type SharedPlane } from "../support/shared_plane.ts";
import { delay, type VigilPair } from "./_harness.ts";

/** Kinds Vigil owns for a Database (and the Databases themselves). */
const KINDS = "databases,statefulsets,services,configmaps,secrets,poddisruptionbudgets," +
  "cronjobs,persistentvolumeclaims,pods";

const INSTANCE = "app.kubernetes.io/instance";

interface Obj {
  kind: string;
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** UIDs of everything Vigil owns in a namespace, keyed `Kind/name`. */
export interface Snapshot {
  readonly objects: ReadonlyMap<string, { uid: string; instance: string }>;
}

async function listAll(plane: SharedPlane, namespace: string): Promise<Obj[]> {
  const out = await plane.kubectlOk(["-n", namespace, "get", KINDS, "-o", "json"]);
  return (JSON.parse(out) as { items: Obj[] }).items;
}

/** Takes a {@link Snapshot}: Databases and every object labelled with a Database's instance. */
export async function snapshot(plane: SharedPlane, namespace: string): Promise<Snapshot> {
  const objects = new Map<string, { uid: string; instance: string }>();
  for (const o of await listAll(plane, namespace)) {
    const instance = o.kind === "Database" ? o.metadata.name : o.metadata.labels?.[INSTANCE];
    if (instance === undefined) continue;
    objects.set(`${o.kind}/${o.metadata.name}`, { uid: o.metadata.uid, instance });
  }
  return { objects };
}

/** What a scenario allows to change between two snapshots. */
export interface Allowed {
  /** Databases whose pods an upgrade, config change or the fault itself replaced. */
  readonly rolled?: Iterable<string>;
  /** Databases the scenario deleted (their objects may be gone). */
  readonly removed?: Iterable<string>;
  /**
   * Databases whose storage grew: Vigil recreates their StatefulSet with the
   * new claim size (orphaning, not restarting, the pods).
   */
  readonly resized?: Iterable<string>;
}

/** Objects deleted or recreated between `before` and `after` that `allowed` does not cover. */
export function lostOrRecreated(
  before: Snapshot,
  after: Snapshot,
  allowed: Allowed = {},
): string[] {
  const rolled = new Set(allowed.rolled ?? []);
  const removed = new Set(allowed.removed ?? []);
  const resized = new Set(allowed.resized ?? []);
  const problems: string[] = [];
  for (const [key, was] of before.objects) {
    if (removed.has(was.instance)) continue;
    const now = after.objects.get(key);
    const isPod = key.startsWith("Pod/");
    // A pod of a scaled-down or rolled Database may go; convergence checks the count.
    if (isPod && rolled.has(was.instance)) continue;
    if (now === undefined) problems.push(`${key} was deleted`);
    else if (key === `StatefulSet/${was.instance}` && resized.has(was.instance)) continue;
    else if (now.uid !== was.uid) problems.push(`${key} was recreated (${was.uid} → ${now.uid})`);
  }
  return problems;
}

/** Bytes of a Kubernetes quantity (binary and decimal suffixes). */
export function quantityBytes(q: string): number {
  const m = q.match(/^([0-9.]+)([KMGTPE]i?|k)?$/);
  if (m === null) throw new Error(`Cannot read quantity ${JSON.stringify(q)}`);
  const units: Record<string, number> = {
    "": 1,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  return Number(m[1]) * units[m[2] ?? ""]!;
}

function ready(o: Obj): boolean {
  const conditions = (o.status?.conditions ?? []) as Array<{ type: string; status: string }>;
  return o.metadata.deletionTimestamp === undefined &&
    conditions.some((c) => c.type === "Ready" && c.status === "True");
}

/**
 * What keeps the namespace's Databases from being converged to their spec
 * (empty when every one is): Ready at its generation, with the StatefulSet,
 * pods, ConfigMap and PVCs the spec asks for.
 */
export async function convergenceProblems(
  plane: SharedPlane,
  namespace: string,
): Promise<string[]> {
  const all = await listAll(plane, namespace);
  const byKind = (kind: string) => all.filter((o) => o.kind === kind);
  const problems: string[] = [];
  for (const db of byKind("Database")) {
    const name = db.metadata.name;
    const spec = db.spec as {
      version?: string;
      replicas?: number;
      storageSize?: string;
      image?: string;
      config?: Record<string, string>;
    };
    const status = (db.status ?? {}) as { observedGeneration?: number; currentVersion?: string };
    const say = (what: string) => problems.push(`${name}: ${what}`);
    if (db.metadata.deletionTimestamp !== undefined) {
      say("is being deleted");
      continue;
    }
    if (status.observedGeneration !== db.metadata.generation) {
      say(`status.observedGeneration ${status.observedGeneration} ≠ ${db.metadata.generation}`);
    }
    if (!ready(db)) say("not Ready");
    if (spec.version !== undefined && status.currentVersion !== spec.version) {
      say(`currentVersion ${status.currentVersion} ≠ spec.version ${spec.version}`);
    }
    const replicas = spec.replicas ?? 1;
    const sts = byKind("StatefulSet").find((s) => s.metadata.name === name);
    if (sts === undefined) {
      say("no StatefulSet");
      continue;
    }
    const stsSpec = sts.spec as {
      replicas?: number;
      template: { metadata?: { annotations?: Record<string, string> } };
      volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
    };
    const stsStatus = (sts.status ?? {}) as { readyReplicas?: number; updatedReplicas?: number };
    if (stsSpec.replicas !== replicas) {
      say(`StatefulSet replicas ${stsSpec.replicas} ≠ ${replicas}`);
    }
    if ((stsStatus.readyReplicas ?? 0) !== replicas) {
      say(`StatefulSet readyReplicas ${stsStatus.readyReplicas} ≠ ${replicas}`);
    }
    if ((stsStatus.updatedReplicas ?? 0) !== replicas) {
      say(`StatefulSet updatedReplicas ${stsStatus.updatedReplicas} ≠ ${replicas}`);
    }
    const hash = stsSpec.template.metadata?.annotations?.["vigil.dev/config-hash"];
    const pods = byKind("Pod").filter((p) =>
      p.metadata.labels?.[INSTANCE] === name &&
      p.metadata.labels?.["app.kubernetes.io/component"] === "database"
    );
    if (pods.length !== replicas) say(`${pods.length} database pods, not ${replicas}`);
    for (const p of pods) {
      if (!ready(p)) say(`pod ${p.metadata.name} not Ready`);
      const image = ((p.spec?.containers ?? []) as Array<{ image: string }>)[0]?.image ?? "";
      if (spec.image !== undefined ? image !== spec.image : !image.endsWith(`:${spec.version}`)) {
        say(`pod ${p.metadata.name} runs ${image}, not version ${spec.version}`);
      }
      if (p.metadata.annotations?.["vigil.dev/config-hash"] !== hash) {
        say(`pod ${p.metadata.name} has an old config hash`);
      }
    }
    const cm = byKind("ConfigMap").find((c) => c.metadata.name === `${name}-config`);
    const rendered = Object.values(cm?.data ?? {}).join("\n");
    for (const [key, value] of Object.entries(spec.config ?? {})) {
      if (!new RegExp(`^${key}\\s*=\\s*'?${value}'?\\s*$`, "m").test(rendered)) {
        say(`ConfigMap lacks ${key} = ${value}`);
      }
    }
    const claim = stsSpec.volumeClaimTemplates?.[0]?.metadata.name ?? "data";
    for (let i = 0; i < replicas; i++) {
      const pvc = byKind("PersistentVolumeClaim").find((c) =>
        c.metadata.name === `${claim}-${name}-${i}`
      );
      const size = (pvc?.spec as { resources?: { requests?: { storage?: string } } } | undefined)
        ?.resources?.requests?.storage;
      if (size === undefined) say(`no PVC ${claim}-${name}-${i}`);
      else if (quantityBytes(size) < quantityBytes(spec.storageSize ?? "10Gi")) {
        say(`PVC ${claim}-${name}-${i} requests ${size} < ${spec.storageSize}`);
      }
    }
  }
  return problems;
}

/** Waits until {@link convergenceProblems} is empty; resolves with how long it took. */
export async function waitConverged(
  plane: SharedPlane,
  namespace: string,
  timeoutMs = 300_000,
): Promise<number> {
  const started = Date.now();
  let problems: string[] = ["not checked yet"];
  try {
    await eventually("the Databases to converge", async () => {
      problems = await convergenceProblems(plane, namespace);
      return problems.length === 0 ? true : undefined;
    }, { timeoutMs, intervalMs: 1_000 });
  } catch {
    throw new Error(
      `Databases did not converge within ${timeoutMs} ms:\n${problems.slice(0, 30).join("\n")}`,
    );
  }
  return Date.now() - started;
}

/**
 * Waits for a window of `quietMs` in which the pair made no write other
 * than Lease renewals, with the same processes at both ends; resolves with
 * how long it took to settle.
 */
export async function waitWritesSettle(
  pair: VigilPair,
  options: { quietMs?: number; timeoutMs?: number } = {},
): Promise<number> {
  const quietMs = options.quietMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 180_000;
  const started = Date.now();
  let last = "";
  while (Date.now() - started < timeoutMs) {
    await pair.settled();
    const processes = pair.incarnations.filter((i) => i.exit === undefined).length;
    const before = await pair.writes();
    // Measuring an absence: a fixed window in which no write may happen.
    await delay(quietMs);
    const stillSame = pair.incarnations.filter((i) => i.exit === undefined).length === processes;
    const after = await pair.writes();
    if (stillSame && processes === 2 && after === before) return Date.now() - started;
    last = `${after - before} writes in the last ${quietMs} ms (${processes} processes)`;
  }
  throw new Error(`Vigil's writes did not settle to 0 within ${timeoutMs} ms: ${last}`);
}

/** What {@link checkInvariants} measured. */
export interface InvariantReport {
  readonly convergeMs: number;
  readonly settleMs: number;
}

/** Options of {@link checkInvariants}. */
export interface InvariantOptions extends Allowed {
  /** Unplanned Vigil exits the scenario expects (e.g. a leader whose renewals failed exits 1). */
  readonly exitsAllowed?: (exit: { replica: string; code: number }) => boolean;
  readonly convergeTimeoutMs?: number;
}

/**
 * Checks every invariant after a fault; throws one error naming every
 * broken invariant.
 */
export async function checkInvariants(
  plane: SharedPlane,
  namespace: string,
  pair: VigilPair,
  before: Snapshot,
  options: InvariantOptions = {},
): Promise<InvariantReport> {
  const convergeMs = await waitConverged(plane, namespace, options.convergeTimeoutMs);
  const settleMs = await waitWritesSettle(pair);
  const after = await snapshot(plane, namespace);
  const problems = [
    ...lostOrRecreated(before, after, options),
    ...pair.leadershipProblems(),
    ...pair.unplannedExits().filter((e) => !(options.exitsAllowed?.(e) ?? false))
      .map((e) => `replica ${e.replica} exited ${e.code} unasked`),
  ];
  // Converged once is not enough if something is still undoing it.
  problems.push(...await convergenceProblems(plane, namespace));
  if (problems.length > 0) {
    throw new Error(
      `Invariants broken:\n${problems.join("\n")}\n${pair.summary()}\n${
        pair.logs(25, (i) => i.exit !== undefined && !i.exit.planned)
      }`,
    );
  }
  return { convergeMs, settleMs };
}
