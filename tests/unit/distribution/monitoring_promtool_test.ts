/**
 * The shipped alert rules checked and unit-tested by the real promtool
 * (`github.com/prometheus/prometheus/cmd/promtool`, built from
 * `tests/tools/promtool/`): `check rules` on `deploy/monitoring/vigil.rules.yaml`,
 * `test rules` on `promtool/vigil_alerts_test.yaml`, which must hold, for
 * every alert, a case where it fires and a case where it stays silent.
 */
import assert from "node:assert/strict";
import YAML from "yaml";
import { alertRuleGroups, MONITORING_DIR } from "../../../src/distribution/monitoring/mod.ts";
import { promtool } from "../../support/promtool.ts";

const root = new URL("../../../", import.meta.url);
const RULES = new URL(`${MONITORING_DIR}/vigil.rules.yaml`, root).pathname;
const FIXTURE = new URL("promtool/vigil_alerts_test.yaml", import.meta.url).pathname;

interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[];
}
interface Fixture {
  rule_files: string[];
  tests: Array<{ name: string; alert_rule_test?: AlertTest[] }>;
}

function explain(r: { code: number; stdout: string; stderr: string }): string {
  return `promtool exited ${r.code}\n${r.stdout}\n${r.stderr}`;
}

Deno.test("promtool check rules accepts every shipped rule", async () => {
  const r = await promtool(["check", "rules", RULES]);
  assert.equal(r.code, 0, explain(r));
  const count = alertRuleGroups().flatMap((g) => g.rules).length;
  assert.match(r.stdout, new RegExp(`SUCCESS: ${count} rules found`), explain(r));
});

Deno.test("promtool check rules refuses a rule with a broken expression, naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-rules-" });
  try {
    const groups = structuredClone(alertRuleGroups()) as unknown as Array<
      { rules: Array<{ expr: string }> }
    >;
    groups[0]!.rules[0]!.expr = "sum by (controller (rate(x[5m]))";
    await Deno.writeTextFile(`${dir}/broken.yaml`, YAML.stringify({ groups }));
    const r = await promtool(["check", "rules", `${dir}/broken.yaml`]);
    assert.notEqual(r.code, 0, explain(r));
    assert.match(r.stdout + r.stderr, /VigilReconcileErrors|parse error/, explain(r));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("promtool test rules: every alert fires where it should and stays silent where it should not", async () => {
  const r = await promtool(["test", "rules", FIXTURE]);
  assert.equal(r.code, 0, explain(r));
  assert.match(r.stdout, /SUCCESS/, explain(r));
});

Deno.test("the promtool fixture tests the shipped rule file and covers every alert both ways", async () => {
  const fixture = YAML.parse(await Deno.readTextFile(FIXTURE)) as Fixture;
  assert.deepEqual(
    fixture.rule_files.map((f) => new URL(f, new URL("promtool/", import.meta.url)).pathname),
    [RULES],
  );
  const cases = fixture.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const { alert } of alertRuleGroups().flatMap((g) => g.rules)) {
    const mine = cases.filter((c) => c.alertname === alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `no case where ${alert} fires`);
    assert.ok(
      mine.some((c) => (c.exp_alerts ?? []).length === 0),
      `no case where ${alert} is silent`,
    );
  }
});

Deno.test("promtool test rules fails when an expectation is wrong (the fixture can fail)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-rules-" });
  try {
    const fixture = YAML.parse(await Deno.readTextFile(FIXTURE)) as Fixture;
    fixture.rule_files = [RULES];
    // Expect silence where an alert fires, for each alert in turn (its group alone).
    for (const test of fixture.tests) {
      const alone = { ...fixture, tests: [test] };
      for (const c of test.alert_rule_test ?? []) {
        if ((c.exp_alerts ?? []).length === 0) continue;
        const saved = c.exp_alerts ?? [];
        c.exp_alerts = [];
        await Deno.writeTextFile(`${dir}/wrong.yaml`, YAML.stringify(alone));
        const r = await promtool(["test", "rules", `${dir}/wrong.yaml`]);
        assert.notEqual(
          r.code,
          0,
          `${test.name}: expecting no ${c.alertname} passed\n${explain(r)}`,
        );
        c.exp_alerts = saved;
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("promtool check metrics, which the cluster test runs on Vigil's /metrics, flags a misnamed metric", async () => {
  const r = await promtool(["check", "metrics"], {
    stdin: "# HELP vigil_backups Backups taken.\n# TYPE vigil_backups counter\nvigil_backups 3\n",
  });
  assert.notEqual(r.code, 0, explain(r));
  assert.match(r.stdout + r.stderr, /vigil_backups.*_total/, explain(r));
});
