/**
 * Prometheus metrics for `/metrics`: counters, gauges (with collect
 * callbacks read at scrape time) and histograms on a registry that renders
 * the text exposition format 0.0.4.
 *
 * Written by hand rather than taken from prom-client (which Vigil used
 * before, with the same output): importing prom-client cost about 7 MiB of
 * resident memory in an operator that idles at ~80 MiB, for the four
 * families of the text format Vigil uses. This module renders what
 * prom-client rendered for them, byte for byte, except `NaN` (prom-client
 * wrote `Nan`); `tests/unit/runtime/prometheus_parity_test.ts` compares the two.
 *
 * @module
 */
export * from "./registry.ts";
export * from "./counter.ts";
export * from "./gauge.ts";
export * from "./histogram.ts";
export type { LabelValues } from "./_series_map.ts";
