// Loading weights into a model as MMEngine's runner/checkpoint.py does, for `Runner.loadCheckpoint`
// and the `Pretrained` initializer. Unlike torch's `Module.loadStateDict`, where a tensor of
// another shape is always an Error and nothing is loaded, what does not fit (a missing key, an
// unexpected key, a tensor of another shape) is reported in one message and everything else is
// loaded: the usual fine-tuning case, a checkpoint whose classifier has another number of
// classes, keeps its backbone. Non-strict (the default), the message is a warning; strict, an Error.
import * as torch from '../../torch/index.js';
import { getLogger, type Logger } from '../logging/logger.js';

type Module = torch.nn.Module;
type Tensor = torch.Tensor;

/** What did not fit; `sizeMismatches` are messages, one per tensor of another shape (not loaded). */
export interface IncompatibleKeys {
  missingKeys: string[];
  unexpectedKeys: string[];
  sizeMismatches: string[];
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * MMEngine's weights_to_cpu: the state dict's tensors on the CPU, its `_metadata` (the modules'
 * layout versions, which torch.save writes and PyTorch's load_state_dict reads) kept.
 */
export function weightsToCpu(stateDict: Record<string, Tensor>): Record<string, Tensor> {
  const out = Object.fromEntries(Object.entries(stateDict).map(([k, v]) => [k, v.cpu()]));
  const metadata = Object.getOwnPropertyDescriptor(stateDict, '_metadata');
  if (metadata) Object.defineProperty(out, '_metadata', metadata);
  return out;
}

/**
 * Copies the tensors of `stateDict` whose key and shape the module has into it. Missing keys
 * ending in `num_batches_tracked` (BatchNorm counters that older checkpoints lack) go unreported.
 */
export function loadStateDict(
  module: Module,
  stateDict: Record<string, Tensor>,
  options?: { strict?: boolean; logger?: Logger | null },
): IncompatibleKeys {
  const own = module.stateDict({ keepVars: true });
  const fits: Record<string, Tensor> = {};
  const unexpectedKeys: string[] = [];
  const sizeMismatches: string[] = [];
  for (const [key, value] of Object.entries(stateDict)) {
    const target = own[key];
    if (target === undefined) {
      unexpectedKeys.push(key);
      continue;
    }
    const a = value instanceof torch.Tensor ? value.shape : null;
    const b = target.shape;
    if (a !== null && (a.length !== b.length || a.some((d, i) => d !== b[i]))) {
      sizeMismatches.push(
        `size mismatch for ${key}: copying a param with shape ${shapeText(a)} from checkpoint, the shape in current model is ${shapeText(b)}.`,
      );
      continue;
    }
    fits[key] = value; // a value that is not a tensor: torch's loadStateDict says so
  }
  const missingKeys = Object.keys(own).filter((k) => !(k in stateDict));
  module.loadStateDict(fits, { strict: false });

  const missing = missingKeys.filter((k) => !k.endsWith('num_batches_tracked'));
  const report: string[] = [];
  if (unexpectedKeys.length) report.push(`unexpected key in source state_dict: ${unexpectedKeys.join(', ')}\n`);
  if (missing.length) report.push(`missing keys in source state_dict: ${missing.join(', ')}\n`);
  report.push(...sizeMismatches);
  if (report.length) {
    const message = ['The model and loaded state dict do not match exactly\n', ...report].join('\n');
    if (options?.strict) throw new Error(message);
    if (options?.logger !== null) (options?.logger ?? getLogger()).warning(message);
  }
  return { missingKeys, unexpectedKeys, sizeMismatches };
}
