// Atomic file replacement: write a temporary file in the target's directory, fsync it, rename
// it over the target, fsync the directory. A failure at any point (an error while
// serializing, a full disk, a crash) leaves the previous file as it was; on an error the
// temporary file is removed.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The name prefix of temporary files, so that tests (and people) can recognise them. */
export const TEMP_PREFIX = '.torch-node-tmp-';

export function atomicWrite(path: string, op: string, write: (fd: number) => void): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`${op}: path must be a non-empty string, got ${path === '' ? "''" : typeof path}`);
  }
  // Through a symbolic link to the file it names, as writing in place would; an existing file's
  // permissions carry over to its replacement.
  let target = resolve(path);
  let mode: number | undefined;
  try {
    target = realpathSync(target);
    mode = statSync(target).mode & 0o7777;
  } catch {
    // a new file
  }
  const dir = dirname(target);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o666);
  } catch (e) {
    throw ioError(op, path, 'could not create a temporary file next to it', e);
  }
  let open = true;
  try {
    try {
      if (mode !== undefined) fchmodSync(fd, mode);
      write(fd);
    } catch (e) {
      // File system errors (a full disk) get the path; serialization errors speak for themselves.
      if (e instanceof Error && 'syscall' in e) throw ioError(op, path, 'could not write', e);
      throw e;
    }
    try {
      fsyncSync(fd);
      closeSync(fd);
      open = false;
      renameSync(tmp, target);
    } catch (e) {
      throw ioError(op, path, 'could not write it', e);
    }
  } catch (e) {
    if (open) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the first error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // nothing left to remove
    }
    throw e;
  }
  // The rename is durable once the directory is flushed. Some platforms and file systems
  // cannot fsync a directory; the file itself is complete either way.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // best effort
  }
}

export function ioError(op: string, path: string, what: string, e: unknown): Error {
  const reason = e instanceof Error ? e.message : String(e);
  return new Error(`${op}: ${what} '${path}': ${reason}`, { cause: e });
}
