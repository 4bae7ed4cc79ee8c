/**
 * Writes a certificate directory the way the kubelet updates a Secret
 * volume: files in a timestamped directory, `..data` a symlink to it, and
 * `tls.crt`/`tls.key` symlinks through `..data`; an update renames a new
 * `..data_tmp` symlink over `..data` in one atomic step.
 *
 * @module
 */
import type { SelfSignedBundle } from "../../../src/webhook/mod.ts";

let generation = 0;

/** Creates the layout in `dir` with `bundle`. */
export async function createKubeletDir(dir: string, bundle: SelfSignedBundle): Promise<void> {
  const data = await writeGeneration(dir, bundle);
  await Deno.symlink(data, `${dir}/..data`);
  for (const f of ["tls.crt", "tls.key", "ca.crt"]) {
    await Deno.symlink(`..data/${f}`, `${dir}/${f}`);
  }
}

/** Swaps in `bundle` atomically and removes the previous generation. */
export async function rotateKubeletDir(dir: string, bundle: SelfSignedBundle): Promise<void> {
  const old = await Deno.readLink(`${dir}/..data`);
  const data = await writeGeneration(dir, bundle);
  await Deno.symlink(data, `${dir}/..data_tmp`);
  await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
  await Deno.remove(`${dir}/${old}`, { recursive: true });
}

async function writeGeneration(dir: string, bundle: SelfSignedBundle): Promise<string> {
  const name = `..gen_${Date.now()}_${generation++}`;
  await Deno.mkdir(`${dir}/${name}`);
  await Deno.writeTextFile(`${dir}/${name}/tls.crt`, bundle.certPem);
  await Deno.writeTextFile(`${dir}/${name}/tls.key`, bundle.keyPem);
  await Deno.writeTextFile(`${dir}/${name}/ca.crt`, bundle.caCertPem);
  return name;
}
