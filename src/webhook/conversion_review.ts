/**
 * ConversionReview v1 (`apiextensions.k8s.io/v1`): request decoding, the
 * handler contract and the response builders of a CRD conversion webhook.
 *
 * @module
 */
import { z } from "zod";
import { checkEnvelope, type KubeObject } from "./admission_review.ts";
import { formatIssues, oneLine } from "./_issues.ts";
import { ConversionError, ReviewDecodeError } from "./errors.ts";

/** The only ConversionReview version this package speaks. */
export const CONVERSION_API_VERSION = "apiextensions.k8s.io/v1";

const convertibleSchema = z.looseObject({
  apiVersion: z.string().min(1, "must be a non-empty string"),
  kind: z.string().min(1, "must be a non-empty string"),
});

/** Zod schema of `ConversionReview.request`. Objects keep every field. */
export const ConversionRequestSchema = z.object({
  uid: z.string().min(1, "must be a non-empty string"),
  desiredAPIVersion: z.string().min(1, "must be a non-empty string"),
  objects: z.array(convertibleSchema),
});

/** One conversion request, as decoded from a ConversionReview. */
export type ConversionRequest = z.infer<typeof ConversionRequestSchema>;

const ConversionReviewSchema = z.object({ request: ConversionRequestSchema });

/** `ConversionReview.response.result`. */
export type ConversionResult =
  | { status: "Success" }
  | { status: "Failure"; message: string };

/** A complete ConversionReview response body. */
export interface ConversionReviewResponse {
  /** `apiextensions.k8s.io/v1`. */
  apiVersion: typeof CONVERSION_API_VERSION;
  /** `ConversionReview`. */
  kind: "ConversionReview";
  /** The response, carrying the request's uid. */
  response: { uid: string; convertedObjects: KubeObject[]; result: ConversionResult };
}

/**
 * Converts every object of one review to `desiredAPIVersion`, in order.
 *
 * Throwing fails the whole review (the API server fails the read or write
 * that needed it); throw a {@linkcode ConversionError} naming the object, or
 * build the handler with {@linkcode convertEach}, which does so.
 */
export type ConversionHandler = (
  objects: readonly KubeObject[],
  desiredAPIVersion: string,
  signal: AbortSignal,
) => Promise<KubeObject[]>;

/**
 * Decodes a parsed ConversionReview body into its request.
 *
 * @throws {ReviewDecodeError} with a one-line reason when `body` is not an
 * `apiextensions.k8s.io/v1` ConversionReview or violates the schema.
 */
export function decodeConversionReview(body: unknown): ConversionRequest {
  checkEnvelope(body, CONVERSION_API_VERSION, "ConversionReview");
  const parsed = ConversionReviewSchema.safeParse(body);
  if (!parsed.success) {
    throw new ReviewDecodeError(
      `Cannot decode ConversionReview: ${formatIssues(parsed.error.issues)}`,
    );
  }
  return parsed.data.request;
}

/** A successful ConversionReview answering request `uid`. */
export function conversionSucceeded(
  uid: string,
  convertedObjects: KubeObject[],
): ConversionReviewResponse {
  return {
    apiVersion: CONVERSION_API_VERSION,
    kind: "ConversionReview",
    response: { uid, convertedObjects, result: { status: "Success" } },
  };
}

/** A failed ConversionReview answering request `uid`; no objects are returned. */
export function conversionFailed(uid: string, message: string): ConversionReviewResponse {
  return {
    apiVersion: CONVERSION_API_VERSION,
    kind: "ConversionReview",
    response: {
      uid,
      convertedObjects: [],
      result: { status: "Failure", message: oneLine(message) },
    },
  };
}

/**
 * Runs `handler` on one request and checks what it returned.
 *
 * Guarantees: never rejects. A handler error, a result of the wrong length,
 * or an object whose `apiVersion` is not the desired one yields a `Failure`
 * result whose message says which.
 */
export async function answerConversion(
  request: ConversionRequest,
  handler: ConversionHandler,
  signal: AbortSignal,
): Promise<ConversionReviewResponse> {
  let converted: unknown;
  try {
    converted = await handler(request.objects, request.desiredAPIVersion, signal);
  } catch (err) {
    return conversionFailed(request.uid, err instanceof Error ? err.message : String(err));
  }
  if (!Array.isArray(converted) || converted.length !== request.objects.length) {
    return conversionFailed(
      request.uid,
      `Cannot convert objects: handler returned ${
        Array.isArray(converted) ? converted.length : typeof converted
      } objects for ${request.objects.length}`,
    );
  }
  for (const [i, object] of converted.entries()) {
    const apiVersion = isObject(object) ? object.apiVersion : undefined;
    if (apiVersion !== request.desiredAPIVersion) {
      return conversionFailed(
        request.uid,
        `Cannot convert ${describeObject(request.objects[i] ?? {})}: result has apiVersion ${
          JSON.stringify(apiVersion) ?? "undefined"
        }, expected "${request.desiredAPIVersion}"`,
      );
    }
  }
  return conversionSucceeded(request.uid, converted as KubeObject[]);
}

/**
 * Builds a {@linkcode ConversionHandler} from a function converting one object.
 *
 * Objects already at the desired version are passed through untouched. The
 * first object that fails stops the review with a {@linkcode ConversionError}
 * reading `Cannot convert <Kind> <ns>/<name> (<apiVersion>) to <version>: <cause>`.
 *
 * @example
 * ```ts ignore
 * const handler = convertEach((obj, to) => to === "vigil.dev/v1" ? toHub(obj) : fromHub(obj, to));
 * ```
 */
export function convertEach(
  convertOne: (
    object: KubeObject,
    desiredAPIVersion: string,
    signal: AbortSignal,
  ) => KubeObject | Promise<KubeObject>,
): ConversionHandler {
  return async (objects, desiredAPIVersion, signal) => {
    const out: KubeObject[] = [];
    for (const object of objects) {
      if (object.apiVersion === desiredAPIVersion) {
        out.push(object);
        continue;
      }
      try {
        out.push(await convertOne(object, desiredAPIVersion, signal));
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new ConversionError(
          `Cannot convert ${describeObject(object)} to ${desiredAPIVersion}: ${reason}`,
          { cause },
        );
      }
    }
    return out;
  };
}

/** `Kind namespace/name (apiVersion)`, for messages naming an object. */
export function describeObject(object: KubeObject): string {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === "string" ? metadata.name : "<unnamed>";
  const ref = typeof metadata.namespace === "string" && metadata.namespace !== ""
    ? `${metadata.namespace}/${name}`
    : name;
  return `${String(object.kind)} ${ref} (${String(object.apiVersion)})`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
