// The engine's logger writes to stdout, every level, as MMEngine's MMLogger (a StreamHandler on
// sys.stdout), in MMEngine's '<time> - <name> - <LEVEL> - <message>' form, and to its sinks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as engine from '../../../lib/engine/index.js';

/** What `fn` writes to stdout and to stderr. */
function captured(fn: () => void): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    out.stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
  }
  return out;
}

test('every level goes to stdout, none to stderr; below the level, nowhere', () => {
  const logger = new engine.Logger('mmengine', { level: 'info' });
  const sunk: string[] = [];
  logger.sinks.push((line) => sunk.push(line));
  const { stdout, stderr } = captured(() => {
    logger.debug('hidden');
    logger.info('an info');
    logger.warning('a warning');
    logger.error('an error');
  });
  assert.equal(stderr, '');
  const lines = stdout.split('\n').filter(Boolean);
  assert.deepEqual(
    lines.map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - /, '')),
    ['mmengine - INFO - an info', 'mmengine - WARNING - a warning', 'mmengine - ERROR - an error'],
  );
  assert.deepEqual(sunk, lines);
});
