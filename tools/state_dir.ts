/** Where `task start` and `task plane` keep the local plane: `$XDG_STATE_HOME/vigil` or `~/.local/state/vigil`. */
export function stateDir(): string {
  const explicit = Deno.env.get("VIGIL_STATE_DIR");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_STATE_HOME");
  if (xdg) return `${xdg}/vigil`;
  return `${Deno.env.get("HOME") ?? "/tmp"}/.local/state/vigil`;
}
