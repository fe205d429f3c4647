// DNS label rules shared by validation (objects.ts) and the name builder (snapshot.ts).

// Lower-case RFC 1123 label: letters, digits and inner hyphens, 1..63 characters. Upper case is
// rejected rather than folded: Kubernetes names are lower case, so upper case means bad input.
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** True when `text` is a lower-case RFC 1123 label (1..63 characters). */
export function isDnsLabel(text: string): boolean {
  return DNS_LABEL.test(text);
}

/**
 * The host label of an endpoint without a hostname, derived from a canonical address:
 * IPv4 dots become dashes (`10.2.0.2` → `10-2-0-2`); IPv6 colons become dashes and a
 * trailing dash gets a `0` (`fd00::` → `fd00--0`), as cluster-local Kubernetes DNS does.
 * A leading dash (`::1` → `--1`) is kept, also as Kubernetes DNS does.
 */
export function hostLabelForAddress(address: string): string {
  if (address.includes(":")) {
    const dashed = address.replaceAll(":", "-");
    return dashed.endsWith("-") ? `${dashed}0` : dashed;
  }
  return address.replaceAll(".", "-");
}
