/**
 * The webhook fuzz at volume: 10,000 more bodies after a 500-body warm-up,
 * from fuzz_test.ts's generators with a seed of their own, so that the two
 * fuzz tests together send 16,500 bodies and this one alone more than
 * 10,000. Every answer must be a 4xx or a well-formed denial/failure, the
 * server must stay up, and memory must stay flat: GC-settled live memory
 * grows < 10 MB (a leak of a few hundred bytes a body shows here), and RSS
 * ends < 96 MB above where it was after the warm-up (about 9 KB a body).
 *
 * RSS is the coarser measure: it counts the in-process client too, and it
 * steps up by ~20 MB at unpredictable points as V8 and the allocator keep
 * pages after a burst (samples seen: 7 18 26 27 28 49 59 59 59 61 MB), so
 * neither "< 30 MB" nor "no longer rising over the last third" held from run
 * to run. The long-run proof that RSS returns after load is
 * tests/bench/webhook_memory_bench.ts (a minute of requests at c=32).
 */
import assert from "node:assert/strict";
import { denied } from "../../../src/webhook/mod.ts";
import { admissionReview, startTestServer } from "./_helpers.ts";
import { body, prng, settled, wellFormed } from "./_fuzz_bodies.ts";

const SEED = 0x0f_a017_5;
const WARM_UP = 500;
const BODIES = 10_000;
const CONCURRENCY = 8;
const SAMPLE_EVERY = 1_000;
const MAX_RSS_GROWTH_BYTES = 96 * 1024 * 1024;
const MAX_LIVE_GROWTH_BYTES = 10 * 1024 * 1024;
const MB = 1024 * 1024;

/** Least-squares slope of `ys` over their index. */
function slope(ys: readonly number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

Deno.test("10,000 more fuzzed review bodies get a 4xx or a well-formed denial, and memory stays flat", async () => {
  const t = await startTestServer({
    admission: { "/validate": (req) => Promise.resolve(denied(422, `fuzz: ${req.uid} denied`)) },
    conversion: { "/convert": () => Promise.reject(new Error("fuzz: conversion refused")) },
  });
  const rng = prng(SEED);
  const tally = new Map<number, number>();
  const bad: string[] = [];
  let base = { rss: 0, live: 0 };
  const samples: { rss: number; live: number }[] = [];
  let next = 0;
  let sent = 0;
  try {
    const worker = async () => {
      while (next < WARM_UP + BODIES) {
        const i = next++;
        if (i === WARM_UP) base = settled();
        else if (i > WARM_UP && (i - WARM_UP) % SAMPLE_EVERY === 0) samples.push(settled());
        const payload = body(rng, i);
        const path = i % 5 < 3 ? "/validate" : "/convert";
        const res = await t.post(path, payload);
        const text = await res.text();
        sent++;
        tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
        const problem = wellFormed(res.status, text);
        if (problem !== undefined) bad.push(`#${i} ${path}: ${problem}: ${text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    samples.push(settled());
    const rssGrowth = samples.slice(-3).map((s) => s.rss - base.rss);
    const liveGrowth = (samples.at(-1)?.live ?? 0) - base.live;
    const liveSlope = slope(samples.map((s) => s.live)) / SAMPLE_EVERY;
    // Reported, not judged (see the module documentation).
    const tail = samples.slice(Math.floor((samples.length * 2) / 3));
    const rssSlope = slope(tail.map((s) => s.rss)) / SAMPLE_EVERY;
    console.log(
      `fuzz volume: ${sent} bodies, status counts ${JSON.stringify(Object.fromEntries(tally))}, ` +
        `after warm-up: live memory ${(liveGrowth / MB).toFixed(1)} MB ` +
        `(slope ${liveSlope.toFixed(1)} bytes/body), RSS of the last samples ` +
        `${rssGrowth.map((g) => (g / MB).toFixed(1)).join(" / ")} MB, RSS slope over the ` +
        `last third ${rssSlope.toFixed(0)} bytes/body; RSS samples (MB) ` +
        samples.map((s) => ((s.rss - base.rss) / MB).toFixed(1)).join(" "),
    );
    assert.equal(sent, WARM_UP + BODIES);
    assert.deepEqual(bad, []);
    assert.ok(liveGrowth < MAX_LIVE_GROWTH_BYTES, `live memory grew ${liveGrowth} bytes`);
    assert.ok(
      rssGrowth.at(-1)! < MAX_RSS_GROWTH_BYTES,
      `RSS grew ${rssGrowth.join(", ")} bytes, still rising ${rssSlope} bytes a body`,
    );
    const alive = await t.post("/validate", admissionReview("alive"));
    assert.equal((await alive.json()).response.uid, "alive");
  } finally {
    await t.stop();
  }
});
