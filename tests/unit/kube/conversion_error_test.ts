import assert from "node:assert/strict";
import { ConversionError } from "../../../src/kube/mod.ts";
import { ConversionError as DatabaseConversionError, convert } from "../../../src/database/mod.ts";
import {
  ConversionError as WebhookConversionError,
  convertEach,
} from "../../../src/webhook/mod.ts";

Deno.test("Database conversion and the webhook's per-object conversion throw one ConversionError class, a TypeError", async () => {
  assert.equal(DatabaseConversionError, ConversionError);
  assert.equal(WebhookConversionError, ConversionError);
  const bogus = { apiVersion: "vigil.dev/v9", kind: "Database", metadata: { name: "a" } };
  assert.throws(
    () => convert(bogus as never, "vigil.dev/v1"),
    (err: unknown) =>
      err instanceof ConversionError && err instanceof TypeError &&
      err.name === "ConversionError" &&
      err.message === 'Cannot convert Database: unknown apiVersion "vigil.dev/v9"',
  );
  const handler = convertEach((object, to) => convert(object as never, to));
  await assert.rejects(
    () => Promise.resolve(handler([bogus], "vigil.dev/v1", new AbortController().signal)),
    (err: unknown) =>
      err instanceof ConversionError && err.cause instanceof ConversionError &&
      err.message.startsWith("Cannot convert Database a") &&
      err.message.endsWith('Cannot convert Database: unknown apiVersion "vigil.dev/v9"'),
  );
});
