import assert from "node:assert/strict";
import {
  allowed,
  TOO_LARGE,
  type WebhookRequest,
  WebhookRouter,
} from "../../../src/webhook/mod.ts";
import { admissionReview } from "./_helpers.ts";

const BODY = new TextEncoder().encode(JSON.stringify(admissionReview("r-1")));

function request(url: string, init: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    method: "POST",
    url,
    contentType: "application/json",
    contentLength: BODY.byteLength,
    readBody: () => Promise.resolve(BODY),
    ...init,
  };
}

Deno.test("the router routes request targets by their path, ignoring query and fragment", async () => {
  const router = new WebhookRouter().registerAdmission(
    "/validate",
    () => Promise.resolve(allowed()),
  );
  for (
    const url of [
      "/validate",
      "/validate?timeout=10s",
      "/validate?next=https://example.invalid/other",
      "https://vigil.test/validate?x=1#y",
    ]
  ) {
    const answer = await router.answer(request(url));
    assert.equal(answer.status, 200, url);
    assert.equal(answer.headers["content-type"], "application/json");
    assert.equal(JSON.parse(new TextDecoder().decode(answer.body)).response.uid, "r-1");
  }
  for (const url of ["/", "/validate/", "/other?to=/validate", "*", "https://vigil.test"]) {
    const answer = await router.answer(request(url));
    assert.equal(answer.status, 404, url);
    assert.match(new TextDecoder().decode(answer.body), /^Cannot serve .*: no webhook here\n$/);
  }
});

Deno.test("the router reads no body it refuses, and stops at the limit of one it reads", async () => {
  const router = new WebhookRouter({ maxAdmissionBodyBytes: 100 })
    .registerAdmission("/validate", () => Promise.resolve(allowed()));
  let reads = 0;
  const counted =
    (result: Uint8Array | typeof TOO_LARGE) => () => (reads++, Promise.resolve(result));
  const refused: [Partial<WebhookRequest>, number][] = [
    [{ method: "PUT" }, 405],
    [{ contentType: "text/plain" }, 415],
    [{ contentType: undefined }, 415],
    [{ contentLength: 101 }, 413],
  ];
  for (const [init, status] of refused) {
    const answer = await router.answer(request("/validate", { ...init, readBody: counted(BODY) }));
    assert.equal(answer.status, status, JSON.stringify(init));
  }
  assert.equal(reads, 0, "read a body it refused from the headers");
  const chunked = await router.answer(
    request("/validate", { contentLength: undefined, readBody: counted(TOO_LARGE) }),
  );
  assert.equal(chunked.status, 413);
  assert.equal(
    new TextDecoder().decode(chunked.body),
    "Cannot decode review: body exceeds 100 bytes\n",
  );
  const gone = await router.answer(
    request("/validate", {
      contentLength: 50,
      readBody: () => Promise.reject(new Error("Cannot read request body: client went away")),
    }),
  );
  assert.equal(gone.status, 400);
  assert.match(new TextDecoder().decode(gone.body), /client went away/);
});
