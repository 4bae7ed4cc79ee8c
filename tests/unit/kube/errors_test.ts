import assert from "node:assert/strict";
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  errorFromResponse,
  ForbiddenError,
  GoneError,
  InternalServerError,
  InvalidError,
  isRetryable,
  type KubeApiError,
  NetworkError,
  NotFoundError,
  parseRetryAfter,
  ServerTimeoutError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
} from "../../../src/kube/errors.ts";

const target = { method: "GET", path: "/api/v1/namespaces/x/pods/y" };

Deno.test("each HTTP status maps to its error class", () => {
  const cases: [number, string, new (...a: never[]) => KubeApiError][] = [
    [400, "BadRequest", BadRequestError],
    [401, "Unauthorized", UnauthorizedError],
    [403, "Forbidden", ForbiddenError],
    [404, "NotFound", NotFoundError],
    [409, "AlreadyExists", AlreadyExistsError],
    [409, "Conflict", ConflictError],
    [410, "Expired", GoneError],
    [422, "Invalid", InvalidError],
    [429, "TooManyRequests", TooManyRequestsError],
    [500, "InternalError", InternalServerError],
    [500, "Timeout", ServerTimeoutError],
    [503, "ServiceUnavailable", ServiceUnavailableError],
    [504, "Timeout", ServerTimeoutError],
  ];
  for (const [status, reason, cls] of cases) {
    const err = errorFromResponse(status, { reason, message: "m" }, target);
    assert.ok(err instanceof cls, `${status} ${reason} → ${err.name}`);
    assert.equal(err.status, status);
    assert.equal(err.reason, reason);
  }
});

Deno.test("an expired resourceVersion inside a 200-less status is Gone, whatever the code", () => {
  assert.ok(errorFromResponse(500, { reason: "Expired" }, target) instanceof GoneError);
});

Deno.test("the message says what was attempted and what the server said", () => {
  const err = errorFromResponse(404, { reason: "NotFound", message: 'pods "y" not found' }, target);
  assert.equal(err.message, 'Cannot GET /api/v1/namespaces/x/pods/y: pods "y" not found');
});

Deno.test("Invalid carries the field causes", () => {
  const err = errorFromResponse(422, {
    reason: "Invalid",
    message: "bad",
    details: {
      causes: [{ field: "spec.replicas", message: "must be <= 10", reason: "FieldValueInvalid" }],
    },
  }, target);
  assert.ok(err instanceof InvalidError);
  assert.deepEqual(err.causes, [{
    field: "spec.replicas",
    message: "must be <= 10",
    reason: "FieldValueInvalid",
  }]);
});

Deno.test("429 takes Retry-After from the header, else from the status details", () => {
  const fromHeader = errorFromResponse(429, { reason: "TooManyRequests" }, target, "7");
  assert.equal(fromHeader.retryAfterSeconds, 7);
  const fromBody = errorFromResponse(429, { details: { retryAfterSeconds: 3 } }, target, null);
  assert.equal(fromBody.retryAfterSeconds, 3);
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(" 2 "), 2);
});

Deno.test("only transient errors are retryable", () => {
  assert.equal(isRetryable(new NetworkError("x", { status: 0 })), true);
  assert.equal(isRetryable(errorFromResponse(429, undefined, target)), true);
  assert.equal(isRetryable(errorFromResponse(503, undefined, target)), true);
  assert.equal(isRetryable(errorFromResponse(504, undefined, target)), true);
  assert.equal(isRetryable(errorFromResponse(500, undefined, target)), true);
  for (const status of [400, 401, 403, 404, 409, 410, 422]) {
    assert.equal(isRetryable(errorFromResponse(status, undefined, target)), false, String(status));
  }
  assert.equal(isRetryable(new Error("plain")), false);
});
