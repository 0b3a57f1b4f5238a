/**
 * The guest's SSH host key, pinned at image build: "ssh-ed25519 <base64>" (type and key blob,
 * as in a .pub file, without the comment). Pure.
 */

/** "ssh-ed25519 AAAA…" from a .pub file or known_hosts-style line (comment dropped), or undefined. */
export function parseHostKey(text: string): string | undefined {
  const m = /^(ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa) ([A-Za-z0-9+/]+={0,3})(?:\s|$)/.exec(text.trim());
  return m ? `${m[1]} ${m[2]}` : undefined;
}

/**
 * Is `key` (the server's host key blob, as ssh2's `hostVerifier` receives it) the pinned one?
 * Use with `algorithms: { serverHostKey: [<type of the pinned key>] }`.
 */
export function hostKeyMatches(pinned: string, key: Buffer): boolean {
  const parsed = parseHostKey(pinned);
  if (!parsed) return false;
  const blob = Buffer.from(parsed.split(" ")[1]!, "base64");
  return blob.length > 0 && blob.equals(key);
}

/** The key type of a pinned key ("ssh-ed25519"), for ssh2's `algorithms.serverHostKey`. */
export function hostKeyType(pinned: string): string | undefined {
  return parseHostKey(pinned)?.split(" ")[0];
}
