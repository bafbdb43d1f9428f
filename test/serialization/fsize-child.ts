// A save that runs out of room mid-write, for test/serialization/errors.test.ts:
//
//   sh -c 'ulimit -f 256; exec node dist/test/serialization/fsize-child.js <pt|st> <path>'
//
// The file size limit makes the write fail with EFBIG after 256 KiB (Node ignores SIGXFSZ), as a
// full disk would. Prints one line of JSON: {error} or {ok}. Run with no mode (as
// `node --test` does with every file under test/) it does nothing.
import * as torch from '../../lib/index.js';

const [mode, path] = process.argv.slice(2);
if (mode && path) {
  const big = torch.ones([1 << 18]); // 1 MiB of float32
  try {
    if (mode === 'pt') torch.save({ big, step: 2 }, path);
    else torch.saveSafetensors({ big }, path);
    process.stdout.write(JSON.stringify({ ok: true }));
  } catch (e) {
    process.stdout.write(
      JSON.stringify({ error: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) }),
    );
  }
}
