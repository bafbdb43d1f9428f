// The train dataset's `metainfo` (MMEngine's BaseDataset.metainfo: class names, palettes) as it
// goes into a checkpoint's meta.dataset_meta, and the comparison a resume makes with it. MMEngine
// compares the two pickled; here two values are the same when torch.save would write the same:
// same keys in the same order, arrays (and the tuples that load as arrays) element by element,
// tensors of the same dtype, shape and values, and numbers equal (1.0 saves as 1, so 1 and 1.0
// are the same; NaN equals NaN, as pickled floats do).
import * as torch from '../../torch/index.js';

/** The metainfo of a loader's dataset, or null where it has none (MMEngine's getattr(..., None)). */
export function datasetMetaOf(loader: { dataset?: unknown } | null | undefined): unknown {
  const dataset = loader?.dataset as { metainfo?: unknown } | null | undefined;
  if (dataset === null || dataset === undefined || typeof dataset !== 'object') return null;
  return dataset.metainfo ?? null;
}

export function sameDatasetMeta(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a instanceof torch.Tensor || b instanceof torch.Tensor) {
    if (!(a instanceof torch.Tensor && b instanceof torch.Tensor)) return false;
    if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      return false;
    }
    return torch.noGrad(() => a.cpu().equal(b.cpu()));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((v, i) => sameDatasetMeta(v, b[i]));
  }
  if (a instanceof Set || b instanceof Set) {
    return a instanceof Set && b instanceof Set && a.size === b.size && [...a].every((v) => b.has(v));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => sameDatasetMeta((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
