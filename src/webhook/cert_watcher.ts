/**
 * Serving certificates read from a directory and reloaded when it changes,
 * after controller-runtime's `certwatcher`.
 *
 * The directory is a cert-manager Secret mount (`tls.crt`, `tls.key`). The
 * kubelet updates such a mount by writing a new timestamped directory and
 * atomically renaming the `..data` symlink, so the watcher watches the whole
 * directory, re-reads *both* files after any event, and swaps only to a pair
 * that parses and matches. A periodic poll catches what events miss (some
 * filesystems and container runtimes deliver none).
 *
 * @module
 */
import { type CertificatePair, parseCertificatePair } from "./certificate_pair.ts";
import type { CertListener, CertSource } from "./cert_source.ts";
import { type Logger, noopLogger } from "./logger.ts";
import { realTimers, type Timers } from "./timers.ts";

/**
 * The timers the watcher uses; the runtime's `FakeClock` (or any manual
 * clock) stands in for them in tests.
 */
export type CertWatcherClock = Timers;

/** The filesystem the watcher reads and watches; injected in tests. */
export interface CertWatcherFs {
  /** Reads a whole file as UTF-8; rejects like `Deno.readTextFile`. */
  readTextFile(path: string): Promise<string>;
  /**
   * Events on a directory until `close()` (only their arrival matters);
   * throws when the directory cannot be watched, like `Deno.watchFs`.
   */
  watch(dir: string): AsyncIterable<unknown> & { close(): void };
}

const realFs: CertWatcherFs = {
  readTextFile: (path) => Deno.readTextFile(path),
  watch: (dir) => Deno.watchFs(dir, { recursive: false }),
};

/** Options of {@linkcode CertWatcher}. */
export interface CertWatcherOptions {
  /** Certificate chain file name in the directory. Default `"tls.crt"`. */
  certFile?: string;
  /** Private key file name in the directory. Default `"tls.key"`. */
  keyFile?: string;
  /** Period of the fallback poll, in milliseconds. Default 10000 (controller-runtime's). */
  pollIntervalMs?: number;
  /**
   * Delay between a filesystem event and the re-read, in milliseconds; the
   * events of one atomic update arrive within it and cause one read. Default 100.
   */
  settleMs?: number;
  /** Whether to watch the directory with `Deno.watchFs`; `false` polls only. Default `true`. */
  watch?: boolean;
  /** Where loads and rejected pairs are logged. Default: nowhere. */
  logger?: Logger;
  /** Timers for the settle delay and the poll. Default: the global timers. */
  clock?: CertWatcherClock;
  /** Filesystem reads and directory events. Default: `Deno.readTextFile` and `Deno.watchFs`. */
  fs?: CertWatcherFs;
}

/**
 * A {@linkcode CertSource} backed by a certificate directory.
 *
 * Guarantees: listeners only ever see pairs whose key matches the
 * certificate; a pair is announced once, in load order; a bad or half-written
 * pair is logged and the previous pair stays current.
 */
export class CertWatcher implements CertSource {
  #dir: string;
  #certPath: string;
  #keyPath: string;
  #pollIntervalMs: number;
  #settleMs: number;
  #logger: Logger;
  #watch: boolean;
  #clock: CertWatcherClock;
  #fs: CertWatcherFs;
  #current: CertificatePair | undefined;
  #listeners = new Set<CertListener>();
  #settleTimer: number | undefined;
  #reading: Promise<void> = Promise.resolve();
  #lastError = "";

  /** Creates a watcher for `dir`; nothing is read until `load` or `start`. */
  constructor(dir: string, options: CertWatcherOptions = {}) {
    this.#dir = dir;
    this.#certPath = `${dir}/${options.certFile ?? "tls.crt"}`;
    this.#keyPath = `${dir}/${options.keyFile ?? "tls.key"}`;
    this.#pollIntervalMs = options.pollIntervalMs ?? 10_000;
    this.#settleMs = options.settleMs ?? 100;
    this.#logger = options.logger ?? noopLogger;
    this.#watch = options.watch ?? true;
    this.#clock = options.clock ?? realTimers;
    this.#fs = options.fs ?? realFs;
  }

  /** The current pair, or `undefined` before the first successful load. */
  current(): CertificatePair | undefined {
    return this.#current;
  }

  /** Whether a certificate is loaded; what `/readyz` reports. */
  ready(): boolean {
    return this.#current !== undefined;
  }

  /** Calls `listener` with every pair loaded from now on. @returns an unsubscribe function. */
  subscribe(listener: CertListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Reads both files now and makes the pair current if it changed.
   *
   * @returns the current pair.
   * @throws {CertificateError} when the pair does not parse or match, and
   * `Deno.errors.NotFound` (or another I/O error) when a file cannot be read;
   * the previous pair then stays current.
   */
  load(): Promise<CertificatePair> {
    const run = this.#reading.then(() => this.#read());
    this.#reading = run.then(() => {}, () => {});
    return run;
  }

  /**
   * Watches the directory, loads, and polls until `signal` aborts.
   *
   * A failing first load is logged, not thrown: the mount may appear later,
   * and {@linkcode ready} says whether one has been loaded. Resolves once the
   * watch, the timers and any read in progress are finished.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    // Watch before the first load, synchronously in this call: a rotation
    // that lands while the load reads is then an event, not missed until the
    // next poll.
    let watcher: (AsyncIterable<unknown> & { close(): void }) | undefined;
    try {
      if (this.#watch) watcher = this.#fs.watch(this.#dir);
    } catch (err) {
      this.#logger.warn("Cannot watch certificate directory; polling only", {
        dir: this.#dir,
        error: String(err),
      });
    }
    const stopped = new Promise<void>((resolve) => {
      signal.addEventListener("abort", () => {
        watcher?.close();
        resolve();
      }, { once: true });
    });
    await this.#loadQuietly();
    let poll: number | undefined;
    const tick = () => {
      this.#schedule(0);
      poll = this.#clock.setTimeout(tick, this.#pollIntervalMs);
    };
    poll = this.#clock.setTimeout(tick, this.#pollIntervalMs);
    try {
      if (watcher !== undefined) {
        try {
          for await (const _event of watcher) this.#schedule(this.#settleMs);
        } catch (err) {
          // The directory went away or the watch broke: the poll still runs.
          this.#logger.warn("certificate directory watch ended; polling only", {
            dir: this.#dir,
            error: String(err),
          });
        }
      }
      await stopped;
    } finally {
      if (poll !== undefined) this.#clock.clearTimeout(poll);
      if (this.#settleTimer !== undefined) this.#clock.clearTimeout(this.#settleTimer);
      this.#settleTimer = undefined;
      await this.#reading;
    }
  }

  #schedule(delayMs: number): void {
    if (this.#settleTimer !== undefined) return;
    this.#settleTimer = this.#clock.setTimeout(() => {
      this.#settleTimer = undefined;
      void this.#loadQuietly();
    }, delayMs);
  }

  async #loadQuietly(): Promise<void> {
    try {
      await this.load();
      this.#lastError = "";
    } catch (err) {
      const message = String(err);
      // A rotation in progress can show a new certificate with the old key for
      // a moment; log each distinct failure once instead of on every poll.
      if (message !== this.#lastError) {
        this.#lastError = message;
        this.#logger.warn("Cannot load certificate; keeping the current one", {
          dir: this.#dir,
          error: message,
        });
      }
    }
  }

  async #read(): Promise<CertificatePair> {
    const [certPem, keyPem] = await Promise.all([
      this.#fs.readTextFile(this.#certPath),
      this.#fs.readTextFile(this.#keyPath),
    ]);
    const current = this.#current;
    if (current !== undefined && current.certPem === certPem && current.keyPem === keyPem) {
      return current;
    }
    const pair = parseCertificatePair(certPem, keyPem);
    this.#current = pair;
    this.#logger.info("certificate loaded", {
      dir: this.#dir,
      fingerprint: pair.fingerprint,
      notAfter: pair.notAfter.toISOString(),
    });
    for (const listener of [...this.#listeners]) {
      try {
        listener(pair);
      } catch (err) {
        this.#logger.error("certificate listener failed", { error: String(err) });
      }
    }
    return pair;
  }
}
