/**
 * A private plane (it is broken on purpose): the apiserver is stopped and
 * started mid-test and answers again with its data intact, and after stop()
 * no process of the plane is left and its directory is gone.
 */
import assert from "node:assert/strict";
import { startPlane } from "../../support/plane.ts";

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is already dead
  } catch {
    return false;
  }
}

Deno.test("the apiserver restarts mid-test with its data intact, and stop() leaves no process or directory", async () => {
  const plane = await startPlane({ mode: "apiserver" });
  const pids = Object.values(plane.pids());
  try {
    assert.equal(pids.length, 2);
    await plane.kubectlOk(["create", "configmap", "before-restart", "--from-literal=k=v"]);
    const oldPid = plane.pids()["kube-apiserver"];
    await plane.stopApiServer();
    const down = await plane.kubectl([
      "get",
      "configmap",
      "before-restart",
      "--request-timeout=2s",
    ]);
    assert.notEqual(down.code, 0, "the apiserver should be unreachable while stopped");
    await plane.startApiServer();
    assert.notEqual(plane.pids()["kube-apiserver"], oldPid);
    pids.push(plane.pids()["kube-apiserver"]!);
    const value = await plane.kubectlOk([
      "get",
      "configmap",
      "before-restart",
      "-o",
      "jsonpath={.data.k}",
    ]);
    assert.equal(value, "v");
    const revision = await plane.compactEtcd();
    assert.ok(revision > 0);
  } finally {
    await plane.stop();
  }
  for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} is still running`);
  await assert.rejects(Deno.stat(plane.dir), Deno.errors.NotFound);
});
