// BaseTTAModel: test-time augmentation, as MMEngine's BaseTTAModel. It wraps a model (`module`)
// and tests it on a batch whose fields are lists over augmentations (TestTimeAug's samples,
// collated: `data.inputs[i]` is the i-th augmentation of every sample):
//
//   testStep(data): the module's testStep once per augmentation (it preprocesses with its own
//     data preprocessor), the predictions regrouped per sample (one list of the augmentations'
//     predictions per sample, in augmentation order), and mergePreds of those lists, which a
//     subclass writes (averaging scores, say).
//
// A TTA model is a BaseModel (so that the runner can test with it, see PrepareTTAHook) with the
// module's data preprocessor, and it only tests: forward, trainStep and valStep are errors. Its
// state dict is the module's, under `module.`.

import { isPlainObject } from '../../plain_object.js';
import * as torch from '../../torch/index.js';
import type { BaseOptimWrapper } from '../optim/optim_wrapper.js';
import { BaseModel } from './base_model.js';

/** What a TTA model wraps: a module whose testStep gives one prediction per sample of a batch. */
export type TTAModule<Pred = unknown> = torch.nn.Module & {
  testStep(data: unknown): Pred[];
  dataPreprocessor?: torch.nn.Module;
};

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return typeof x;
}

/** The batch of each augmentation: `{k: [a0, a1]}` gives `[{k: a0}, {k: a1}]`, `[[a0, a1], [b0, b1]]` gives `[[a0, b0], [a1, b1]]`. */
function splitAugmentations(data: unknown, who: string): unknown[] {
  let fields: [string, unknown][];
  if (isPlainObject(data)) fields = Object.entries(data);
  else if (Array.isArray(data)) fields = data.map((v, i) => [`[${i}]`, v]);
  else {
    throw new TypeError(
      `${who}.testStep: the batch should be an object or an array whose fields are lists over augmentations, got ${describe(data)}`,
    );
  }
  if (fields.length === 0) throw new Error(`${who}.testStep: the batch has no fields`);
  const [firstKey, first] = fields[0] as [string, unknown];
  for (const [key, value] of fields) {
    if (!Array.isArray(value)) {
      throw new TypeError(
        `${who}.testStep: data${key.startsWith('[') ? '' : '.'}${key} should be a list over augmentations (a batch of TestTimeAug's samples), got ${describe(value)}`,
      );
    }
    if (value.length !== (first as unknown[]).length) {
      throw new Error(
        `${who}.testStep: every field should list the same augmentations: ${firstKey} has ${(first as unknown[]).length}, ${key} has ${value.length}`,
      );
    }
  }
  const n = (first as unknown[]).length;
  if (n === 0) throw new Error(`${who}.testStep: the batch holds no augmentation (its fields are empty lists)`);
  return Array.from({ length: n }, (_, i) =>
    Array.isArray(data)
      ? data.map((v) => (v as unknown[])[i])
      : Object.fromEntries(fields.map(([k, v]) => [k, (v as unknown[])[i]])),
  );
}

/**
 * @typeParam Merged one sample's merged prediction (what testStep returns a list of)
 * @typeParam Pred   one sample's prediction by the module
 */
export abstract class BaseTTAModel<Merged = unknown, Pred = unknown> extends BaseModel<Merged> {
  readonly module: TTAModule<Pred>;

  constructor(module: TTAModule<Pred>) {
    super();
    const who = new.target.name;
    if (!(module instanceof torch.nn.Module)) {
      throw new TypeError(`${who}: module must be a model (an nn.Module with testStep), got ${describe(module)}`);
    }
    if (typeof (module as { testStep?: unknown }).testStep !== 'function') {
      throw new TypeError(
        `${who}: the wrapped module must implement testStep (a BaseModel does), ${module.constructor.name} has none`,
      );
    }
    this.module = module;
    // The module's preprocessor, not a submodule of this model's: the state dict holds it once,
    // under module., as MMEngine's (whose TTA model has no preprocessor of its own).
    const fallback = this.dataPreprocessor;
    Reflect.deleteProperty(this, 'dataPreprocessor');
    Object.defineProperty(this, 'dataPreprocessor', {
      get: () => this.module.dataPreprocessor ?? fallback,
      set: (m: torch.nn.Module) => {
        this.module.dataPreprocessor = m;
      },
      enumerable: false,
      configurable: true,
    });
  }

  /**
   * The merged prediction of each sample, from the list of its augmentations' predictions (in
   * augmentation order): `predsPerSample[s][i]` is augmentation i's prediction of sample s.
   */
  abstract mergePreds(predsPerSample: Pred[][]): Merged[];

  override testStep(data: unknown): Merged[] {
    const who = this.constructor.name;
    const batches = splitAugmentations(data, who);
    return torch.scope(() => {
      const predictions = batches.map((batch, i) => {
        const preds = this.module.testStep(batch);
        if (!Array.isArray(preds)) {
          throw new TypeError(
            `${who}.testStep: the module's testStep must return a list of predictions, got ${describe(preds)} for augmentation ${i}`,
          );
        }
        return preds;
      });
      const n = (predictions[0] as Pred[]).length;
      predictions.forEach((p, i) => {
        if (p.length !== n) {
          throw new Error(
            `${who}.testStep: augmentation ${i} gave ${p.length} predictions, augmentation 0 gave ${n}: every augmentation must keep the batch's samples`,
          );
        }
      });
      const perSample = Array.from({ length: n }, (_, s) => predictions.map((p) => p[s] as Pred));
      const merged = this.mergePreds(perSample);
      if (!Array.isArray(merged) || merged.length !== n) {
        throw new Error(`${who}.mergePreds must return one prediction per sample (${n}), got ${describe(merged)}`);
      }
      return merged;
    });
  }

  override forward(): never {
    throw new Error(`${this.constructor.name}: a test-time augmentation model has no forward; call testStep`);
  }

  override trainStep(_data: unknown, _optimWrapper: BaseOptimWrapper): never {
    throw new Error(
      `${this.constructor.name}: a test-time augmentation model only tests (testStep); train its module instead`,
    );
  }

  override valStep(_data: unknown): never {
    throw new Error(
      `${this.constructor.name}: a test-time augmentation model only tests (testStep), as MMEngine's; validate its module instead`,
    );
  }
}
