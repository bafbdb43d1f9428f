// The one test for "an object literal" (a config, an options object, a dict batch), shared by the
// torch layer and the engine. It imports nothing, so torch-free data workers can use it too.

/** Whether `v` is an object literal: its prototype is Object.prototype or null (not an array, Tensor, Map or class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
