/** The headless and client Services and status endpoints, per engine. */
import assert from "node:assert/strict";
import {
  clientService,
  endpoints,
  headlessService,
  selectorLabels,
} from "../../../../src/controller/desired/mod.ts";
import { database, ENGINES } from "./fixtures.ts";

const PORTS = { postgres: 5432, mysql: 3306 } as const;

for (const engine of ENGINES) {
  Deno.test(`${engine}: the headless Service publishes not-ready pods on the engine port`, () => {
    const db = database(engine);
    const svc = headlessService(db);
    assert.equal(svc.metadata.name, "shop-headless");
    assert.equal(svc.spec.clusterIP, "None");
    assert.equal(svc.spec.publishNotReadyAddresses, true);
    assert.deepEqual(svc.spec.selector, selectorLabels(db));
    assert.deepEqual(svc.spec.ports, [
      { name: engine, port: PORTS[engine], targetPort: engine, protocol: "TCP" },
    ]);
  });

  Deno.test(`${engine}: the client Service is a ClusterIP Service named after the Database`, () => {
    const db = database(engine);
    const svc = clientService(db);
    assert.equal(svc.metadata.name, "shop");
    assert.equal(svc.spec.type, "ClusterIP");
    assert.equal("clusterIP" in svc.spec, false);
    assert.equal("publishNotReadyAddresses" in svc.spec, false);
    assert.equal(svc.spec.ports[0]?.port, PORTS[engine]);
  });

  Deno.test(`${engine}: endpoints name the client Service with the port`, () => {
    assert.deepEqual(endpoints(database(engine)), {
      readWrite: `shop.prod.svc:${PORTS[engine]}`,
      readOnly: `shop.prod.svc:${PORTS[engine]}`,
    });
  });
}
