/**
 * Where the webhook server gets its serving certificate from.
 *
 * @module
 */
import type { CertificatePair } from "./certificate_pair.ts";

/** Called with each new certificate pair, in the order they were loaded. */
export type CertListener = (pair: CertificatePair) => void;

/**
 * A source of serving certificates that may change over time.
 *
 * Implemented by {@linkcode CertWatcher} (a cert-manager mounted directory) and
 * {@linkcode staticCertSource} (a fixed pair, e.g. self-signed mode).
 */
export interface CertSource {
  /** The pair to serve now, or `undefined` until one has been loaded. */
  current(): CertificatePair | undefined;
  /**
   * Calls `listener` with every pair loaded after this call.
   *
   * @returns a function that removes the listener.
   */
  subscribe(listener: CertListener): () => void;
}

/**
 * A {@linkcode CertSource} that always serves the same, already loaded pair.
 *
 * @example
 * ```ts ignore
 * const tls = await generateSelfSigned({ dnsNames: ["localhost"] });
 * const source = staticCertSource(parseCertificatePair(tls.certPem, tls.keyPem));
 * ```
 */
export function staticCertSource(pair: CertificatePair): CertSource {
  return {
    current: () => pair,
    subscribe: () => () => {},
  };
}
