import assert from "node:assert/strict";
import { HealthChecks, ProbeServer, RuntimeMetrics } from "../../../src/runtime/mod.ts";

function server(hostname?: string): ProbeServer {
  return new ProbeServer({
    port: 0,
    ...(hostname === undefined ? {} : { hostname }),
    healthz: new HealthChecks(),
    readyz: new HealthChecks(),
    registry: new RuntimeMetrics().registry,
  });
}

async function get(url: string): Promise<number> {
  const res = await fetch(url);
  await res.body?.cancel();
  return res.status;
}

Deno.test("the probe server listens on IPv6 and IPv4 by default, like Go's :8081", async () => {
  const probes = server();
  const stop = new AbortController();
  const running = probes.start(stop.signal);
  try {
    await probes.ready();
    assert.equal(await get(`http://[::1]:${probes.port}/healthz`), 200);
    assert.equal(await get(`http://127.0.0.1:${probes.port}/healthz`), 200);
  } finally {
    stop.abort();
    await running;
  }
});

Deno.test("the probe server binds an IPv6 address it is given", async () => {
  const probes = server("::1");
  const stop = new AbortController();
  const running = probes.start(stop.signal);
  try {
    await probes.ready();
    assert.equal(await get(`http://[::1]:${probes.port}/readyz`), 200);
  } finally {
    stop.abort();
    await running;
  }
});
