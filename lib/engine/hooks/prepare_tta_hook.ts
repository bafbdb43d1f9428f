// PrepareTTAHook: tests with test-time augmentation, as MMEngine's PrepareTTAHook. In beforeTest
// it replaces runner.model by a TTA model (a BaseTTAModel subclass) wrapping the current model;
// the test dataloader must then give TestTimeAug's batches (see TestTimeAugDataset).
//
//   customHooks: [{type: 'PrepareTTAHook', ttaCfg: {type: AverageClsScoreTTA, ...options}}]
//
// MMEngine builds `dict(module=runner.model, **tta_cfg)` from its MODELS registry. Here ttaCfg
// is either `{type: Class, ...options}`, built as `new Class(model, options)` (the model is the
// constructor's first argument, as a required argument is), or a function `(model) => ttaModel`.
// Unlike MMEngine's, afterTest puts the tested model back, so that a second test() (or a
// checkpoint after it) sees the model itself and not a TTA model around it.
import { BaseModel } from '../model/base_model.js';
import { BaseTTAModel, type TTAModule } from '../model/base_tta_model.js';
import type { Runner } from '../runner/runner.js';
import { Hook } from './hook.js';

// biome-ignore lint/suspicious/noExplicitAny: each TTA model wraps models of its own prediction type and takes options of its own
export type TTAModelClass = abstract new (module: TTAModule<any>, options?: any) => BaseTTAModel;

/** How PrepareTTAHook makes the TTA model: a class and its options, or a function of the model. */
export type TTACfg =
  | ({ type: TTAModelClass } & Record<string, unknown>)
  // biome-ignore lint/suspicious/noExplicitAny: the runner's model, whatever its prediction type
  | ((module: BaseModel<any, any>) => BaseTTAModel);

export interface PrepareTTAHookOptions {
  ttaCfg: TTACfg;
}

const isTTAClass = (v: unknown): v is TTAModelClass =>
  typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof BaseTTAModel;

export class PrepareTTAHook extends Hook {
  readonly ttaCfg: TTACfg;
  /** The model that beforeTest replaced, until afterTest puts it back. */
  private tested: BaseModel | null = null;

  constructor(options: PrepareTTAHookOptions) {
    super();
    const cfg = options?.ttaCfg;
    if (isTTAClass(cfg)) {
      throw new TypeError(`PrepareTTAHook: ttaCfg is the class ${cfg.name}; pass {type: ${cfg.name}, ...options}`);
    }
    if (typeof cfg !== 'function') {
      if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) {
        throw new TypeError(
          `PrepareTTAHook: ttaCfg must be {type: a BaseTTAModel subclass, ...options} or a function (model) => TTA model, got ${cfg === undefined ? 'nothing' : Array.isArray(cfg) ? 'an array' : String(cfg)}`,
        );
      }
      if (!isTTAClass(cfg.type)) {
        const t: unknown = cfg.type;
        const got = typeof t === 'function' ? `the class ${t.name}` : JSON.stringify(t);
        const hint = typeof t === 'string' ? ' (TTA models have no registry of names: pass the class itself)' : '';
        throw new TypeError(`PrepareTTAHook: ttaCfg.type must be a subclass of BaseTTAModel, got ${got}${hint}`);
      }
    }
    this.ttaCfg = cfg;
  }

  /** The TTA model around `model`, as ttaCfg makes it. */
  build(model: BaseModel): BaseTTAModel {
    const cfg = this.ttaCfg;
    let tta: unknown;
    if (typeof cfg === 'function') tta = cfg(model);
    else {
      const { type, ...options } = cfg;
      tta = new (type as unknown as new (m: TTAModule, o: Record<string, unknown>) => BaseTTAModel)(model, options);
    }
    if (!(tta instanceof BaseTTAModel)) {
      throw new TypeError(
        `PrepareTTAHook: the ttaCfg function must return a BaseTTAModel, got ${tta instanceof BaseModel ? `a ${tta.constructor.name}` : typeof tta}`,
      );
    }
    return tta;
  }

  override beforeTest(runner: Runner): void {
    // A test that failed midway never reached afterTest: its TTA model is not wrapped again.
    if (this.tested !== null) runner.model = this.tested;
    const model = runner.model;
    runner.model = this.build(model);
    this.tested = model;
  }

  override afterTest(runner: Runner): void {
    if (this.tested === null) return;
    runner.model = this.tested;
    this.tested = null;
  }
}
