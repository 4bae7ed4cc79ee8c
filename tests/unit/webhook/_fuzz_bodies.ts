/**
 * The seeded generators of malformed AdmissionReview and ConversionReview
 * bodies, the check that an answer to one is well formed, and memory
 * readings settled by a full GC — shared by the webhook fuzz tests
 * (fuzz_test.ts, fuzz_volume_test.ts).
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { admissionReview, conversionReview } from "./_helpers.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** RSS and live memory (V8 heap in use + external buffers) right after a full GC. */
export function settled(): { rss: number; live: number } {
  gc();
  const m = Deno.memoryUsage();
  return { rss: m.rss, live: m.heapUsed + m.external };
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}

export type Rng = ReturnType<typeof prng>;

function junkValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 7 : 9)) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return rng.pick([0, -1, 1e308, -0, 2 ** 53 + 1, 3.14]);
    case 3:
      return rng.pick([
        "",
        "CREATE",
        "admission.k8s.io/v1",
        "\u0000",
        "😀".repeat(50),
        "a".repeat(5000),
      ]);
    case 4:
      return "x".repeat(rng.int(300));
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return Array.from({ length: rng.int(5) }, () => junkValue(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(5) }, (_, i) => [`k${i}`, junkValue(rng, depth + 1)]),
      );
  }
}

/** Paths to every value of a JSON tree. */
function paths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  out.push(prefix);
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  }
  return out;
}

function mutate(rng: Rng, doc: Record<string, unknown>): void {
  const all = paths(doc).filter((p) => p.length > 0);
  if (all.length === 0) {
    doc.request = junkValue(rng);
    return;
  }
  const path = rng.pick(all);
  let parent = doc as Record<string, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const key = path[path.length - 1] as string;
  if (rng.next() < 0.4) delete parent[key];
  else parent[key] = junkValue(rng);
}

export function body(rng: Rng, i: number): string | Uint8Array {
  const admission = rng.next() < 0.6;
  const doc: Record<string, unknown> = admission
    ? admissionReview(`fuzz-${i}`, { spec: { replicas: 1 } })
    : conversionReview(`fuzz-${i}`, [{
      apiVersion: "vigil.dev/v1alpha1",
      kind: "Database",
      metadata: { name: "x" },
    }]);
  const mutations = 1 + rng.int(4);
  for (let m = 0; m < mutations; m++) mutate(rng, doc);
  const text = JSON.stringify(doc);
  switch (rng.int(20)) {
    case 0:
      return text.slice(0, rng.int(text.length)); // truncated
    case 1:
      return Uint8Array.from({ length: rng.int(200) }, () => rng.int(256)); // noise
    case 2: {
      const bytes = new TextEncoder().encode(text);
      bytes[rng.int(bytes.length)] = 0xff; // invalid UTF-8
      return bytes;
    }
    case 3:
      return "[".repeat(10_000 + rng.int(100_000)); // deep nesting, unterminated
    case 4:
      return `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":${
        "[".repeat(50_000)
      }${"]".repeat(50_000)}}`;
    case 5:
      return i % 100 === 5 ? `{"pad":"${"z".repeat(3 * 1024 * 1024)}"}` : text; // over the limit
    default:
      return text;
  }
}

export function wellFormed(status: number, text: string): string | undefined {
  if (status >= 400 && status < 500) return undefined;
  if (status !== 200) return `status ${status}`;
  const review = JSON.parse(text);
  const r = review.response;
  if (typeof r?.uid !== "string") return "no uid";
  if (review.kind === "AdmissionReview") {
    return r.allowed === false && typeof r.status?.message === "string"
      ? undefined
      : "not a denial";
  }
  if (review.kind === "ConversionReview") {
    return r.result?.status === "Failure" && Array.isArray(r.convertedObjects)
      ? undefined
      : "not a failure";
  }
  return `kind ${review.kind}`;
}
