import assert from "node:assert/strict";
import { StringPool } from "../../../src/runtime/_string_pool.ts";
import { deepFreeze } from "../../../src/runtime/_deep_freeze.ts";

Deno.test("pooling string values while freezing changes no value and still freezes every level", () => {
  const pool = new StringPool();
  const obj = {
    apiVersion: "v1",
    metadata: { name: "a", uid: "u-1", labels: { app: "x" } },
    spec: { args: ["-c", "pg_isready"], n: 3, on: true, none: null },
  };
  const copy = structuredClone(obj);
  deepFreeze(obj, pool);
  assert.deepEqual(obj, copy);
  assert.ok(Object.isFrozen(obj.metadata.labels) && Object.isFrozen(obj.spec.args));
  assert.throws(() => {
    (obj.spec.args as string[])[0] = "-x";
  }, TypeError);
});

Deno.test("uid and resourceVersion values, unique per object, take no pool slot", () => {
  const pool = new StringPool();
  deepFreeze(
    { metadata: { uid: "u-1", resourceVersion: "7", ownerReferences: [{ uid: "u-0" }] } },
    pool,
  );
  assert.equal(pool.size, 0);
  deepFreeze({ metadata: { name: "a" } }, pool);
  assert.equal(pool.size, 1);
});

Deno.test("the pool stays within its entry, character and length bounds, starting over when full", () => {
  const pool = new StringPool(3, 10, 4);
  for (const s of ["a", "b", "c", "d", "e", "a", "b"]) pool.intern(s);
  assert.ok(pool.size <= 3, `${pool.size} entries`);
  pool.intern("xxxxx"); // longer than maxLength: never held
  assert.ok(pool.size <= 3);
  const chars = new StringPool(100, 10, 10);
  for (let i = 0; i < 50; i++) chars.intern(`s${i}-`);
  assert.ok(chars.chars <= 10 && chars.size <= 3, `${chars.size} entries, ${chars.chars} chars`);
  assert.equal(chars.intern("kept"), "kept");
});

// The point of the pool is memory, which only a GC-settled heap shows: 20,000
// objects each holding its own copy of the same 1,000-character value keep
// 20,000 copies without the pool and one with it.
Deno.test("equal values of many frozen objects are held once with the pool", async () => {
  const source = `
    import { StringPool } from ${
    JSON.stringify(new URL("../../../src/runtime/_string_pool.ts", import.meta.url).href)
  };
    import { deepFreeze } from ${
    JSON.stringify(new URL("../../../src/runtime/_deep_freeze.ts", import.meta.url).href)
  };
    const pooled = Deno.args[0] === "pool";
    const pool = new StringPool();
    const gc = globalThis.gc;
    gc(); const before = Deno.memoryUsage().heapUsed;
    const kept = [];
    for (let i = 0; i < 20000; i++) {
      // JSON.parse gives each object a fresh copy, as a watch event does.
      const obj = JSON.parse('{"data":{"defaults":"' + "x".repeat(1000) + '"}}');
      kept.push(pooled ? deepFreeze(obj, pool) : deepFreeze(obj));
    }
    gc(); console.log(Math.round((Deno.memoryUsage().heapUsed - before) / 1048576), kept.length);
  `;
  const grown = async (mode: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--v8-flags=--expose-gc", source, mode],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return Number(new TextDecoder().decode(out.stdout).split(" ")[0]);
  };
  const [without, withPool] = [await grown("copy"), await grown("pool")];
  assert.ok(without >= 18, `without the pool the heap grew ${without} MiB`);
  assert.ok(withPool <= 4, `with the pool the heap grew ${withPool} MiB (without: ${without} MiB)`);
});
