/**
 * IP address literals as Go's `net.ParseIP` reads them: dotted-quad IPv4,
 * and IPv6 with `::` and an optional trailing dotted quad (no zone).
 *
 * @module
 */

/**
 * Whether a host is written as an IP address rather than a DNS name (it has
 * a colon, or only digits and dots), so it must parse as one.
 */
export function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^[\d.]+$/.test(host);
}

/**
 * The 4 or 16 octets of an IPv4 or IPv6 address, as `iPAddress` carries it.
 *
 * @throws {TypeError} naming the address when it is neither.
 */
export function ipAddressBytes(address: string): Uint8Array<ArrayBuffer> {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return v4;
  const v6 = parseIpv6(address);
  if (v6 !== undefined) return v6;
  throw new TypeError(`"${address}" is not an IPv4 or IPv6 address`);
}

function parseIpv4(text: string): Uint8Array<ArrayBuffer> | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) < 256)) {
    return undefined;
  }
  return Uint8Array.from(parts, Number);
}

function parseIpv6(text: string): Uint8Array<ArrayBuffer> | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        const [a = 0, b = 0, c = 0, d = 0] = v4;
        out.push(a << 8 | b, c << 8 | d);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
