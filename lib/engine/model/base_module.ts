// BaseModule: an nn.Module with `initCfg` and `initWeights()`, as MMEngine's BaseModule.
// Order: the module's own non-pretrained configs, then each direct child's initWeights() (so a
// child's own initCfg wins over its parent's), then pretrained configs last (so a checkpoint is
// never overwritten). A second call does nothing.
import * as torch from '../../torch/index.js';
import { getLogger } from '../logging/logger.js';
import {
  type InitCfg,
  type InitConfig,
  initialize,
  PARAMS_INIT_INFO,
  type ParamInitInfo,
  updateInitInfo,
} from './weight_init.js';

type Tensor = torch.Tensor;
type Table = Map<Tensor, ParamInitInfo>;
type WithInitInfo = { [PARAMS_INIT_INFO]?: Table };

const hasInitWeights = (m: torch.nn.Module): m is torch.nn.Module & { initWeights(): void; isInit?: boolean } =>
  typeof (m as { initWeights?: unknown }).initWeights === 'function';

/**
 * Where each parameter's value came from. As MMEngine's _dump_init_info: the logger's sinks (its
 * log files) get a header and every entry whatever the level, like Python's FileHandler
 * streams; with no sink, each entry is logged at info level.
 */
function dumpInitInfo(module: torch.nn.Module, table: Table): void {
  const logger = getLogger();
  const entries = module
    .namedParameters()
    .map(([name, p]) => `\n${name} - ${JSON.stringify(p.shape)}: \n${table.get(p)?.initInfo ?? ''} \n`);
  if (logger.sinks.length > 0) {
    for (const sink of logger.sinks) {
      sink('Name of parameter - Initialization information');
      for (const e of entries) sink(e);
    }
  } else {
    for (const e of entries) logger.info(e);
  }
}

export abstract class BaseModule extends torch.nn.Module {
  readonly initCfg: InitCfg | null;
  /** Set once initWeights() has run; a second call then does nothing. */
  isInit = false;

  constructor(initCfg?: InitCfg | null) {
    super();
    this.initCfg = initCfg ? structuredClone(initCfg) : null;
  }

  initWeights(): void {
    const self = this as unknown as WithInitInfo;
    const isTopLevel = !self[PARAMS_INIT_INFO];
    if (isTopLevel) {
      const table: Table = new Map();
      for (const p of this.parameters()) {
        table.set(p, {
          initInfo: `The value is the same before and after calling \`init_weights\` of ${this.constructor.name} `,
          tmpMeanValue: torch.scope(() => p.detach().float().mean().item() as number),
        });
      }
      for (const m of this.modules()) (m as unknown as WithInitInfo)[PARAMS_INIT_INFO] = table;
    }
    const logger = getLogger();
    if (!this.isInit) {
      let pretrained: InitConfig[] = [];
      if (this.initCfg) {
        logger.debug(`initialize ${this.constructor.name} with init_cfg ${JSON.stringify(this.initCfg)}`);
        const cfgs = Array.isArray(this.initCfg) ? this.initCfg : [this.initCfg];
        for (const c of cfgs)
          if (typeof c !== 'object' || c === null) throw new Error('init_cfg entries must be objects');
        pretrained = cfgs.filter((c) => c.type === 'Pretrained');
        initialize(
          this,
          cfgs.filter((c) => c.type !== 'Pretrained'),
        );
      }
      for (const child of this.children()) {
        if (hasInitWeights(child) && !child.isInit) {
          child.initWeights();
          updateInitInfo(child, `Initialized by user-defined \`init_weights\` in ${child.constructor.name} `);
        }
      }
      if (this.initCfg && pretrained.length) initialize(this, pretrained);
      this.isInit = true;
    } else {
      logger.warning(`init_weights of ${this.constructor.name} has been called more than once.`);
    }
    if (isTopLevel) {
      dumpInitInfo(this, self[PARAMS_INIT_INFO] as Table);
      for (const m of this.modules()) delete (m as unknown as WithInitInfo)[PARAMS_INIT_INFO];
    }
  }

  override toString(): string {
    const s = super.toString();
    return this.initCfg ? `${s}\ninit_cfg=${JSON.stringify(this.initCfg)}` : s;
  }
}

/** Sequential with an initCfg. */
export class Sequential extends torch.nn.Sequential {
  readonly initCfg: InitCfg | null;
  /** Set once initWeights() has run; a second call then does nothing. */
  isInit = false;

  constructor(modules: torch.nn.Module[], options?: { initCfg?: InitCfg }) {
    super(...modules);
    this.initCfg = options?.initCfg ? structuredClone(options.initCfg) : null;
  }

  initWeights(): void {
    BaseModule.prototype.initWeights.call(this as unknown as BaseModule);
  }
}

/** ModuleList with an initCfg. */
export class ModuleList extends torch.nn.ModuleList {
  readonly initCfg: InitCfg | null;
  /** Set once initWeights() has run; a second call then does nothing. */
  isInit = false;

  constructor(modules: Iterable<torch.nn.Module> = [], options?: { initCfg?: InitCfg }) {
    super(modules);
    this.initCfg = options?.initCfg ? structuredClone(options.initCfg) : null;
  }

  initWeights(): void {
    BaseModule.prototype.initWeights.call(this as unknown as BaseModule);
  }
}

/** ModuleDict with an initCfg. */
export class ModuleDict extends torch.nn.ModuleDict {
  readonly initCfg: InitCfg | null;
  /** Set once initWeights() has run; a second call then does nothing. */
  isInit = false;

  constructor(modules: Record<string, torch.nn.Module> = {}, options?: { initCfg?: InitCfg }) {
    super(modules);
    this.initCfg = options?.initCfg ? structuredClone(options.initCfg) : null;
  }

  initWeights(): void {
    BaseModule.prototype.initWeights.call(this as unknown as BaseModule);
  }
}
