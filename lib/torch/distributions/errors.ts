// Errors of the families built from others: an inner family validates first, so its message is
// prefixed with the outer family's name (the one the caller constructed).

/** Runs `make`, naming `op` in front of any Error it throws (the inner family validates first). */
export function prefixErrors<T>(op: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof Error && !(e instanceof TypeError)) throw new Error(`${op}: ${e.message}`);
    throw e;
  }
}
