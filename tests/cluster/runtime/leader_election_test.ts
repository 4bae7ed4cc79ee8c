import assert from "node:assert/strict";
import { sharedPlane } from "../../support/shared_plane.ts";
import { clientFor, createNamespace, deleteNamespace, until } from "./_helpers.ts";

const FIXTURE = new URL("./fixtures/elect.ts", import.meta.url).pathname;

interface Line {
  event: string;
  identity: string;
  at: number;
}

function spawn(kubeconfig: string, namespace: string, identity: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, kubeconfig, namespace, identity],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines: Line[] = [];
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, i)) as Line);
        buffer = buffer.slice(i + 1);
      }
    }
  })();
  const leading = () =>
    lines.some((l) => l.event === "leading") &&
    !lines.some((l) => l.event === "stopped-leading");
  return {
    child,
    lines,
    leading,
    at: (event: string) => lines.find((l) => l.event === event)?.at,
    async end() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await reading;
    },
  };
}

async function withPair(
  prefix: string,
  fn: (a: ReturnType<typeof spawn>, b: ReturnType<typeof spawn>, ns: string) => Promise<void>,
) {
  const plane = await sharedPlane();
  const client = clientFor(plane.kubeconfigPath);
  const ns = await createNamespace(client, prefix);
  const a = spawn(plane.kubeconfigPath, ns, "a");
  const b = spawn(plane.kubeconfigPath, ns, "b");
  try {
    await fn(a, b, ns);
  } finally {
    await a.end();
    await b.end();
    await deleteNamespace(client, ns);
  }
}

Deno.test("two manager processes elect exactly one leader", async () => {
  await withPair("rt-elect", async (a, b) => {
    await until("a leader", () => a.leading() || b.leading(), 60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal([a, b].filter((p) => p.leading()).length, 1);
  });
});

Deno.test("kill -9 of the leader hands over within lease duration plus retry period", async () => {
  await withPair("rt-kill", async (a, b) => {
    await until("a leader", () => a.leading() || b.leading(), 60_000);
    const [leader, standby] = a.leading() ? [a, b] : [b, a];
    const killedAt = Date.now();
    leader.child.kill("SIGKILL");
    await until("the standby to lead", () => standby.leading(), 30_000);
    const handover = standby.at("leading")! - killedAt;
    // lease 4 s + retry 0.5 s × (1 + 1.2 jitter), plus process/apiserver slack.
    assert.ok(handover <= 4_000 + 1_100 + 1_000, `hand-over took ${handover} ms`);
  });
});

Deno.test("a graceful stop releases the lease and hands over in under 2 s", async () => {
  await withPair("rt-release", async (a, b) => {
    await until("a leader", () => a.leading() || b.leading(), 60_000);
    const [leader, standby] = a.leading() ? [a, b] : [b, a];
    const stoppedAt = Date.now();
    leader.child.kill("SIGTERM");
    assert.equal((await leader.child.status).code, 0);
    await until("the standby to lead", () => standby.leading(), 10_000);
    const handover = standby.at("leading")! - stoppedAt;
    assert.ok(handover < 2_000, `hand-over took ${handover} ms`);
  });
});
