/**
 * Rolling version upgrades on the kwok plane: one replica at a time from the
 * highest ordinal, never two unavailable; a replica that does not become
 * Ready stops the rollout and setting the version back rolls it back; a
 * leader killed mid-upgrade is replaced by one that finishes it in order.
 *
 * The broken image is `postgres:0.0.0-broken`: the plane's kwok Stage
 * `pod-image-pull-backoff` (tests/support/kwok_test_stages.ts) keeps its pods
 * Pending in ImagePullBackOff, as a kubelet would for a tag that does not exist.
 */
import assert from "node:assert/strict";
import { installDatabaseCrd } from "../../support/database_crd.ts";
import { eventually, sharedPlane, withNamespace } from "../../support/shared_plane.ts";
import { BROKEN_IMAGE_TAG } from "../../support/kwok_test_stages.ts";
import {
  applyDatabase,
  deleteDatabases,
  eventCount,
  getJson,
  type PodMoment,
  revisionMoments,
  startScopedVigil,
  total,
  waitReady,
  watchPods,
} from "./_helpers.ts";

interface Db {
  status?: {
    phase?: string;
    currentVersion?: string;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

interface PodList {
  items: Array<{
    metadata: { name: string };
    spec: { containers: Array<{ image: string }> };
    status: { conditions?: Array<{ type: string; status: string }> };
  }>;
}

const SPEC = { engine: "postgres", version: "16.9", replicas: 3, storageSize: "1Gi" };

function condition(db: Db | undefined, type: string) {
  return db?.status?.conditions?.find((c) => c.type === type);
}

async function podImages(
  plane: Awaited<ReturnType<typeof sharedPlane>>,
  ns: string,
  name: string,
): Promise<Record<string, { image: string; ready: boolean }>> {
  const pods = JSON.parse(
    await plane.kubectlOk([
      "-n",
      ns,
      "get",
      "pods",
      "-l",
      `app.kubernetes.io/instance=${name},app.kubernetes.io/component=database`,
      "-o",
      "json",
    ]),
  ) as PodList;
  return Object.fromEntries(pods.items.map((p) => [p.metadata.name, {
    image: tagOf(p.spec.containers[0]!.image),
    ready: (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
  }]));
}

/** `docker.io/library/postgres:17.5` → `postgres:17.5`. */
function tagOf(image: string): string {
  return image.slice(image.lastIndexOf("/") + 1);
}

/** The moments of the upgrade to `image` (`postgres:17.5`): old pods going, new pods Ready, in order. */
function upgradeOrder(moments: readonly PodMoment[], image: string): string[] {
  return revisionMoments(moments)
    .map((m) => ({ ...m, image: tagOf(m.image) }))
    .filter((m) =>
      (m.type === "gone" && m.image !== image) || (m.type === "ready" && m.image === image)
    )
    .map((m) => `${m.type} ${m.ordinal}`);
}

const IN_ORDER = ["gone 2", "ready 2", "gone 1", "ready 1", "gone 0", "ready 0"];

Deno.test("a 3-replica upgrade 16.9 → 17.5 goes 2 → 1 → 0, each Ready on 17.5 before the next goes, never two unavailable", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "upgrade", async (ns) => {
    const vigil = await startScopedVigil(plane, ns);
    try {
      await applyDatabase(plane, ns, "orders", SPEC);
      await waitReady(plane, ns, "orders");
      const pods = await watchPods(plane, ns, "orders", 3);
      try {
        await applyDatabase(plane, ns, "orders", { ...SPEC, version: "17.5" });
        const upgrading = await eventually("phase Upgrading with progress", async () => {
          const db = await getJson<Db>(plane, ns, "db/orders");
          return db?.status?.phase === "Upgrading" ? db : undefined;
        });
        assert.match(condition(upgrading, "Progressing")!.message, /^[0-2]\/3 replicas on 17\.5$/);
        assert.equal(upgrading.status?.currentVersion, "16.9");
        const done = await eventually("currentVersion 17.5 and Ready", async () => {
          const db = await getJson<Db>(plane, ns, "db/orders");
          return db?.status?.currentVersion === "17.5" &&
              condition(db, "Ready")?.status === "True"
            ? db
            : undefined;
        }, { timeoutMs: 120_000 });
        assert.equal(done.status?.phase, "Running");
        assert.equal(condition(done, "Progressing")?.message, "3/3 replicas on 17.5");
        assert.deepEqual(
          upgradeOrder(pods.moments, "postgres:17.5"),
          IN_ORDER,
          JSON.stringify(pods.moments),
        );
        assert.equal(pods.maxUnavailable(), 1, JSON.stringify(pods.moments));
      } finally {
        await pods.stop();
      }
      const images = await podImages(plane, ns, "orders");
      for (const p of Object.values(images)) {
        assert.deepEqual(p, { image: "postgres:17.5", ready: true });
      }
      const sts = await getJson<
        { spec: { updateStrategy: { rollingUpdate: { partition: number } } } }
      >(
        plane,
        ns,
        "sts/orders",
      );
      assert.equal(sts?.spec.updateStrategy.rollingUpdate.partition, 0);
      assert.equal(await eventCount(plane, ns, "orders", "UpgradeStarted"), 1);
      await eventually(
        "one UpgradeCompleted event",
        async () =>
          await eventCount(plane, ns, "orders", "UpgradeCompleted") === 1 ? true : undefined,
      );
      await deleteDatabases(plane, ns);
    } finally {
      await vigil.stop();
    }
  });
});

Deno.test("an upgrade to a broken image stops after the first replica, says so once, and rolls back when the version is set back", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "upgrade-broken", async (ns) => {
    // Without leader election: Lease renewals are writes too, and not the reconciler's.
    const vigil = await startScopedVigil(plane, ns, { extraArgs: ["--leader-elect=false"] });
    try {
      const metadata = { annotations: { "vigil.dev/replica-ready-timeout": "15s" } };
      await applyDatabase(plane, ns, "orders", SPEC, metadata);
      await waitReady(plane, ns, "orders");
      const broken = `postgres:${BROKEN_IMAGE_TAG}`;
      await applyDatabase(
        plane,
        ns,
        "orders",
        { ...SPEC, version: "17.5", image: broken },
        metadata,
      );
      const stopped = await eventually("Degraded=True UpgradeFailed", async () => {
        const db = await getJson<Db>(plane, ns, "db/orders");
        return condition(db, "Degraded")?.status === "True" ? db : undefined;
      }, { timeoutMs: 90_000 });
      const degraded = condition(stopped, "Degraded")!;
      assert.equal(degraded.reason, "UpgradeFailed");
      assert.match(degraded.message, /orders-2/);
      assert.match(degraded.message, /17\.5/);
      assert.match(degraded.message, /ImagePullBackOff/);
      assert.match(degraded.message, /16\.9/);
      assert.equal(stopped.status?.currentVersion, "16.9");
      assert.equal(stopped.status?.phase, "Upgrading");
      assert.equal(condition(stopped, "Progressing")?.status, "False");
      const images = await podImages(plane, ns, "orders");
      assert.deepEqual(images["orders-0"], { image: "postgres:16.9", ready: true });
      assert.deepEqual(images["orders-1"], { image: "postgres:16.9", ready: true });
      assert.deepEqual(images["orders-2"], { image: broken, ready: false });

      // No retry storm: nothing written for 20 s, and one warning event.
      const before = total(await vigil.writes());
      await new Promise((r) => setTimeout(r, 20_000));
      const after = total(await vigil.writes());
      assert.equal(
        after - before,
        0,
        `writes while stopped:\n${vigil.log().split("\n").slice(-30).join("\n")}`,
      );
      assert.equal(await eventCount(plane, ns, "orders", "UpgradeFailed"), 1);
      const still = await podImages(plane, ns, "orders");
      assert.equal(still["orders-1"]?.image, "postgres:16.9");

      // Setting the version back rolls the broken replica back and clears the condition.
      await applyDatabase(plane, ns, "orders", SPEC, metadata);
      const healed = await eventually("Ready again on 16.9 with Degraded=False", async () => {
        const db = await getJson<Db>(plane, ns, "db/orders");
        return condition(db, "Ready")?.status === "True" &&
            condition(db, "Degraded")?.status === "False"
          ? db
          : undefined;
      }, { timeoutMs: 90_000 });
      assert.equal(healed.status?.currentVersion, "16.9");
      assert.equal(healed.status?.phase, "Running");
      const back = await podImages(plane, ns, "orders");
      for (const [name, p] of Object.entries(back)) {
        assert.deepEqual(p, { image: "postgres:16.9", ready: true }, name);
      }
      assert.equal(await eventCount(plane, ns, "orders", "UpgradeFailed"), 1);
      await deleteDatabases(plane, ns);
    } finally {
      await vigil.stop();
    }
  });
});

Deno.test("a leader killed (SIGKILL) mid-upgrade is replaced by another Vigil that finishes the upgrade in order", async () => {
  const plane = await sharedPlane();
  await installDatabaseCrd(plane);
  await withNamespace(plane, "upgrade-leader", async (ns) => {
    const first = await startScopedVigil(plane, ns);
    let second: Awaited<ReturnType<typeof startScopedVigil>> | undefined;
    try {
      await applyDatabase(plane, ns, "orders", SPEC);
      await waitReady(plane, ns, "orders");
      const pods = await watchPods(plane, ns, "orders", 3);
      try {
        await applyDatabase(plane, ns, "orders", { ...SPEC, version: "17.5" });
        // The moment the first replica is Ready on 17.5, the leader dies.
        await eventually(
          "orders-2 Ready on 17.5",
          () =>
            pods.moments.some((m) =>
                m.type === "ready" && m.ordinal === 2 && tagOf(m.image) === "postgres:17.5"
              )
              ? Promise.resolve(true)
              : Promise.resolve(undefined),
          { intervalMs: 5 },
        );
        await first.kill();
        const midway = await podImages(plane, ns, "orders");
        assert.equal(midway["orders-0"]?.image, "postgres:16.9", "the upgrade had not finished");
        second = await startScopedVigil(plane, ns);
        const done = await eventually("currentVersion 17.5", async () => {
          const db = await getJson<Db>(plane, ns, "db/orders");
          return db?.status?.currentVersion === "17.5" && condition(db, "Ready")?.status === "True"
            ? db
            : undefined;
        }, { timeoutMs: 120_000 });
        assert.equal(done.status?.phase, "Running");
        assert.deepEqual(
          upgradeOrder(pods.moments, "postgres:17.5"),
          IN_ORDER,
          JSON.stringify(pods.moments),
        );
        assert.equal(pods.maxUnavailable(), 1, JSON.stringify(pods.moments));
      } finally {
        await pods.stop();
      }
      await deleteDatabases(plane, ns);
    } finally {
      await first.kill();
      await second?.stop();
    }
  });
});
