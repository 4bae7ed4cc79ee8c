import assert from "node:assert/strict";
import { sharedSelfSignedCa } from "../../../src/cli/shared_ca.ts";
import { AlreadyExistsError, ForbiddenError, NotFoundError } from "../../../src/kube/mod.ts";
import type { Logger } from "../../../src/observability/log.ts";

const infos: string[] = [];
const log: Logger = {
  name: "test",
  debug() {},
  info: (msg) => void infos.push(msg),
  warn() {},
  error() {},
  child: () => log,
};

/** An in-memory Secret store that answers like the apiserver; `race` creates one first. */
function secrets(options: { race?: Record<string, unknown>; stored?: Record<string, unknown> }) {
  const store = new Map<string, unknown>();
  if (options.stored) store.set("vigil-webhook-self-signed-ca", options.stored);
  const calls: string[] = [];
  return {
    store,
    calls,
    request<T>(method: string, path: string, opts: { body?: unknown } = {}): Promise<T> {
      calls.push(`${method} ${path}`);
      const name = path.split("/").at(-1)!;
      if (method === "GET") {
        const found = store.get(name);
        return found === undefined
          ? Promise.reject(new NotFoundError("not found", { status: 404 }))
          : Promise.resolve(found as T);
      }
      const body = opts.body as { metadata: { name: string } };
      if (options.race) store.set(body.metadata.name, options.race);
      if (store.has(body.metadata.name)) {
        return Promise.reject(
          new AlreadyExistsError("exists", { status: 409, reason: "AlreadyExists" }),
        );
      }
      store.set(body.metadata.name, body);
      return Promise.resolve(body as T);
    },
  };
}

const theirs = { caCertPem: "THEIR CERT\n", caKeyPem: "THEIR KEY\n" };
const asSecret = (ca: typeof theirs) => ({
  data: { "ca.crt": btoa(ca.caCertPem), "ca.key": btoa(ca.caKeyPem) },
});
const mine = () => Promise.resolve({ caCertPem: "MY CERT\n", caKeyPem: "MY KEY\n" });

Deno.test("the first replica creates the shared CA Secret; the next reads the same CA", async () => {
  const client = secrets({});
  const first = await sharedSelfSignedCa(client, { namespace: "ns", generate: mine, log });
  assert.deepEqual(first, await mine());
  assert.deepEqual(client.calls, [
    "GET /api/v1/namespaces/ns/secrets/vigil-webhook-self-signed-ca",
    "POST /api/v1/namespaces/ns/secrets",
  ]);
  const second = await sharedSelfSignedCa(client, {
    namespace: "ns",
    generate: () => Promise.reject(new Error("must not generate")),
    log,
  });
  assert.deepEqual(second, first);
});

Deno.test("a replica that loses the create race uses the CA the winner stored", async () => {
  const client = secrets({ race: asSecret(theirs) });
  const ca = await sharedSelfSignedCa(client, { namespace: "ns", generate: mine, log });
  assert.deepEqual(ca, theirs);
});

Deno.test("a Secret without ca.crt and ca.key is refused with how to recover", async () => {
  const client = secrets({ stored: { data: { "tls.crt": btoa("x") } } });
  await assert.rejects(
    sharedSelfSignedCa(client, { namespace: "ns", generate: mine, log }),
    /Cannot use Secret ns\/vigil-webhook-self-signed-ca as the self-signed CA: .*delete it/,
  );
});

Deno.test("an API refusal (no vigil-self-signed role) is not mistaken for a missing Secret", async () => {
  const client = {
    request: () => Promise.reject(new ForbiddenError("forbidden", { status: 403 })),
  };
  await assert.rejects(
    sharedSelfSignedCa(client, { namespace: "ns", generate: mine, log }),
    ForbiddenError,
  );
});
