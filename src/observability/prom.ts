/**
 * prom-client's metric classes, loaded from their own modules rather than
 * the package's index: the index also loads its Pushgateway (`node:http`,
 * `node:https`, `node:zlib`), its cluster aggregator (`node:cluster`), its
 * default process metrics and its Summary (`tdigest`), none of which Vigil
 * uses. That saves about 4.4 MiB of idle RSS (measured: a process importing
 * `node:https` and one Counter, the index against these modules). The types
 * are the package's own.
 *
 * @module
 */
import type * as PromClient from "prom-client";
import counter from "prom-client/lib/counter.js";
import gauge from "prom-client/lib/gauge.js";
import histogram from "prom-client/lib/histogram.js";
import registry from "prom-client/lib/registry.js";

export const Counter = counter as unknown as typeof PromClient.Counter;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge = gauge as unknown as typeof PromClient.Gauge;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram = histogram as unknown as typeof PromClient.Histogram;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
export const Registry = registry as unknown as typeof PromClient.Registry;
export type Registry = PromClient.Registry;
