/** The StatefulSet per engine: image, env, volumes, probes, shutdown, security, resources. */
import assert from "node:assert/strict";
import {
  ENGINE_LAYOUT,
  MANAGED_BY_SELECTOR,
  PROBE_TIMINGS,
  selectorLabels,
  statefulSet,
  type StatefulSetOptions,
  TERMINATION_GRACE_PERIOD_SECONDS,
} from "../../../../src/controller/desired/mod.ts";
import type { DatabaseSpecV1, DefaultedDatabaseV1, Engine } from "../../../../src/database/mod.ts";
import { database, ENGINES } from "./fixtures.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

function build(
  engine: Engine,
  spec: Partial<DatabaseSpecV1> = {},
  options: Partial<StatefulSetOptions> = {},
): { db: DefaultedDatabaseV1; spec: Any; pod: Any; container: Any } {
  const db = database(engine, spec);
  const sts = statefulSet(db, { configHash: "abc", ...options });
  const stsSpec = sts.spec as Any;
  return {
    db,
    spec: stsSpec,
    pod: stsSpec.template.spec,
    container: stsSpec.template.spec.containers[0],
  };
}

Deno.test("postgres runs the catalog image with the config file argument and PGDATA below the mount", () => {
  const { container } = build("postgres", { version: "16.9" });
  assert.equal(container.image, "docker.io/library/postgres:16.9");
  assert.deepEqual(container.args, ["postgres", "-c", "config_file=/etc/vigil/postgresql.conf"]);
  assert.equal("command" in container, false, "the image's entrypoint must stay in place");
  const pgdata = container.env.find((e: Any) => e.name === "PGDATA");
  assert.deepEqual(pgdata, { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" });
});

Deno.test("postgres env comes from the credentials Secret under the image's names", () => {
  const { container } = build("postgres");
  const refs = Object.fromEntries(
    container.env.filter((e: Any) => e.valueFrom).map((
      e: Any,
    ) => [e.name, e.valueFrom.secretKeyRef]),
  );
  assert.deepEqual(refs, {
    POSTGRES_USER: { name: "shop-credentials", key: "username" },
    POSTGRES_PASSWORD: { name: "shop-credentials", key: "password" },
    POSTGRES_DB: { name: "shop-credentials", key: "database" },
  });
});

Deno.test("mysql env comes from the Secret, and root may log in only from localhost", () => {
  const { container } = build("mysql");
  assert.equal(container.image, "docker.io/library/mysql:8.4.5");
  assert.deepEqual(container.args, ["mysqld"]);
  const byName = Object.fromEntries(container.env.map((e: Any) => [e.name, e]));
  assert.deepEqual(byName.MYSQL_ROOT_PASSWORD.valueFrom.secretKeyRef, {
    name: "shop-credentials",
    key: "root-password",
  });
  assert.equal(byName.MYSQL_PASSWORD.valueFrom.secretKeyRef.key, "password");
  assert.equal(byName.MYSQL_USER.valueFrom.secretKeyRef.key, "username");
  assert.equal(byName.MYSQL_DATABASE.valueFrom.secretKeyRef.key, "database");
  assert.deepEqual(byName.MYSQL_ROOT_HOST, { name: "MYSQL_ROOT_HOST", value: "localhost" });
});

Deno.test("the image follows spec.image, else the operator's registry prefix", () => {
  assert.equal(
    build("postgres", {}, { registryPrefix: "registry.example.com/mirror" }).container.image,
    "registry.example.com/mirror/postgres:17.5",
  );
  assert.equal(
    build("mysql", { image: "mirror.local/mysql:8.4.5" }, { registryPrefix: "x.io/m" }).container
      .image,
    "mirror.local/mysql:8.4.5",
  );
});

for (const engine of ENGINES) {
  const layout = ENGINE_LAYOUT[engine];

  Deno.test(`${engine}: data on the 'data' claim template, config from the ConfigMap, writable run and tmp`, () => {
    const { spec, pod, container } = build(engine, { storageSize: "1.5Gi" });
    assert.deepEqual(container.volumeMounts, [
      { name: "data", mountPath: layout.dataMountPath },
      { name: "config", mountPath: layout.configMountPath, readOnly: true },
      { name: "run", mountPath: layout.runPath },
      { name: "tmp", mountPath: "/tmp" },
    ]);
    assert.deepEqual(pod.volumes, [
      { name: "config", configMap: { name: "shop-config", defaultMode: 0o644 } },
      { name: "run", emptyDir: {} },
      { name: "tmp", emptyDir: {} },
    ]);
    const [claim] = spec.volumeClaimTemplates;
    assert.equal(claim.metadata.name, "data");
    assert.deepEqual(claim.spec, {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1536Mi" } },
    });
  });

  Deno.test(`${engine}: claim templates carry the managed-by label, so PVCs do`, () => {
    const { spec } = build(engine);
    const [key, value] = MANAGED_BY_SELECTOR.split("=");
    assert.equal(spec.volumeClaimTemplates[0].metadata.labels[key ?? ""], value);
  });

  Deno.test(`${engine}: an existing claim template's storage wins over spec.storageSize`, () => {
    const { spec } = build(engine, { storageSize: "20Gi", storageClassName: "fast" }, {
      claimTemplateStorage: "10Gi",
    });
    assert.deepEqual(spec.volumeClaimTemplates[0].spec, {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "10Gi" } },
      storageClassName: "fast",
    });
  });

  Deno.test(`${engine}: the StatefulSet is Parallel, rolling, behind the headless Service`, () => {
    const { db, spec } = build(engine, { replicas: 3 });
    assert.equal(spec.replicas, 3);
    assert.equal(spec.serviceName, "shop-headless");
    assert.equal(spec.podManagementPolicy, "Parallel");
    assert.deepEqual(spec.selector, { matchLabels: selectorLabels(db) });
    assert.deepEqual(spec.updateStrategy, {
      type: "RollingUpdate",
      rollingUpdate: { partition: 0 },
    });
    assert.equal(
      build(engine, {}, { partition: 2 }).spec.updateStrategy.rollingUpdate.partition,
      2,
    );
    for (const [k, v] of Object.entries(selectorLabels(db))) {
      assert.equal(spec.template.metadata.labels[k], v);
    }
  });

  Deno.test(`${engine}: pvcDeletionPolicy maps onto the claim retention policy`, () => {
    assert.deepEqual(build(engine).spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
    assert.deepEqual(
      build(engine, { pvcDeletionPolicy: "Delete" }).spec.persistentVolumeClaimRetentionPolicy,
      { whenDeleted: "Delete", whenScaled: "Retain" },
    );
  });

  Deno.test(`${engine}: scaling changes replicas only, never the pod template`, () => {
    const one = build(engine, { replicas: 1 }).spec;
    const five = build(engine, { replicas: 5 }).spec;
    assert.deepEqual({ ...one, replicas: 0 }, { ...five, replicas: 0 });
    assert.equal(
      one.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]
        .podAffinityTerm.topologyKey,
      "kubernetes.io/hostname",
    );
  });

  Deno.test(`${engine}: probes run the engine's client over loopback, with a generous startup budget`, () => {
    const { container } = build(engine);
    const command = container.readinessProbe.exec.command.join(" ");
    if (engine === "postgres") {
      assert.match(
        command,
        /^pg_isready --host=127\.0\.0\.1 --port=5432 --username=app --dbname=app/,
      );
    } else {
      assert.match(command, /mysqladmin --host=127\.0\.0\.1 --port=3306 .*ping$/);
      assert.match(command, /MYSQL_PWD="\$MYSQL_PASSWORD"/);
      assert.doesNotMatch(command, /--password/);
    }
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      assert.deepEqual(container[probe].exec, container.readinessProbe.exec, probe);
    }
    assert.deepEqual(
      { ...container.startupProbe, exec: undefined },
      { ...PROBE_TIMINGS.startup, exec: undefined },
    );
    const budget = PROBE_TIMINGS.startup.periodSeconds * PROBE_TIMINGS.startup.failureThreshold;
    assert.ok(budget >= 300, `startup budget ${budget}s`);
    const liveness = PROBE_TIMINGS.liveness.periodSeconds * PROBE_TIMINGS.liveness.failureThreshold;
    assert.ok(liveness >= 60, `liveness tolerates ${liveness}s`);
  });

  Deno.test(`${engine}: preStop drains before the engine stops, within the grace period`, () => {
    const { pod, container } = build(engine);
    const [shell, flag, script] = container.lifecycle.preStop.exec.command;
    assert.deepEqual([shell, flag], ["sh", "-c"]);
    assert.match(script, /^sleep 5/);
    if (engine === "postgres") assert.match(script, /pg_ctl stop --mode=fast --no-wait$/);
    else assert.equal(script, "sleep 5");
    assert.equal(pod.terminationGracePeriodSeconds, TERMINATION_GRACE_PERIOD_SECONDS);
    assert.ok(TERMINATION_GRACE_PERIOD_SECONDS > 5);
  });

  Deno.test(`${engine}: pods run as the image's uid 999 under the restricted Pod Security profile`, () => {
    const { pod, container } = build(engine);
    assert.deepEqual(pod.securityContext, {
      runAsUser: 999,
      runAsGroup: 999,
      runAsNonRoot: true,
      fsGroup: 999,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.enableServiceLinks, false);
    for (const volume of pod.volumes) {
      assert.ok("configMap" in volume || "emptyDir" in volume, JSON.stringify(volume));
    }
  });

  Deno.test(`${engine}: resources default to requests cpu 100m and memory 256Mi`, () => {
    assert.deepEqual(build(engine).container.resources, {
      requests: { cpu: "100m", memory: "256Mi" },
    });
  });

  Deno.test(`${engine}: spec.resources are used in canonical form, missing requests defaulted`, () => {
    const { container } = build(engine, {
      resources: { requests: { cpu: "0.5" }, limits: { cpu: 2, memory: "1.5Gi" } },
    });
    assert.deepEqual(container.resources, {
      requests: { cpu: "500m", memory: "256Mi" },
      limits: { cpu: "2", memory: "1536Mi" },
    });
    const low = build(engine, { resources: { limits: { cpu: "50m", memory: "128Mi" } } });
    assert.deepEqual(low.container.resources.requests, { cpu: "50m", memory: "128Mi" });
  });
}
