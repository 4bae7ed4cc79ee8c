import assert from "node:assert/strict";
import * as runtime from "../../../src/runtime/mod.ts";
import * as testing from "../../../src/runtime/testing.ts";

Deno.test("the runtime's production barrel carries no test doubles; testing.ts does", () => {
  for (const name of ["FakeClock", "flush", "MemoryLock", "MemoryLockCell"]) {
    assert.ok(!(name in runtime), `${name} must not be exported by src/runtime/mod.ts`);
    assert.ok(name in testing, `${name} is exported by src/runtime/testing.ts`);
  }
});
