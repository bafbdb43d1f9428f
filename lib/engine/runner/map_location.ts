// Where a loaded checkpoint's tensors go: torch.load's map_location, for Runner.loadCheckpoint and
// Runner.resume. A device string moves every tensor there; a function chooses per tensor.
import type { Device } from '../../torch/index.js';
import * as torch from '../../torch/index.js';
import { showValue } from './revise_keys.js';

/**
 * mapLocation as a function, for torch.load's callable map_location (`lambda storage, loc: ...`):
 * called once for each tensor of the checkpoint (loaded on the CPU first) with its key path in
 * the checkpoint ('state_dict.fc.weight', 'optimizer.state.0.exp_avg', 'meta.x.1'), it returns
 * the device that tensor goes to. PyTorch passes the storage's saved location instead; torch.load
 * here does not read those tags, so the key path, which tells the tensors apart, stands in for it.
 * A tensor reached twice (tied) is placed once.
 */
export type MapLocationFn = (tensor: torch.Tensor, key: string) => Device;

const isDevice = (value: unknown): value is Device =>
  typeof value === 'string' && /^(cpu|cuda|mps|meta)(:\d+)?$/.test(value);

/** mapLocation checked: a device string ('cpu', 'cuda', 'cuda:1') or a MapLocationFn. */
export function checkMapLocation(value: unknown, what: string): Device | MapLocationFn {
  if (typeof value === 'function') return value as MapLocationFn;
  if (!isDevice(value)) {
    throw new TypeError(
      `${what}: mapLocation must be a device string ('cpu', 'cuda', 'cuda:1')${what === 'Runner.resume' ? ", a function (tensor, key) => device or 'default'" : ' or a function (tensor, key) => device'}, got ${showValue(value)}`,
    );
  }
  return value;
}

/**
 * Moves each tensor of a loaded checkpoint to the device `fn` gives it, in place (the loaded
 * objects keep what they remember of their keys), and returns the checkpoint.
 */
export function placeTensors(checkpoint: unknown, fn: MapLocationFn): unknown {
  const placed = new Map<torch.Tensor, torch.Tensor>();
  const place = (t: torch.Tensor, key: string): torch.Tensor => {
    const done = placed.get(t);
    if (done) return done;
    const device = fn(t, key);
    if (!isDevice(device)) {
      throw new TypeError(
        `Runner.loadCheckpoint: the mapLocation function must return a device string ('cpu', 'cuda', 'cuda:1'), got ${showValue(device)} for '${key}'`,
      );
    }
    const out = t.to({ device });
    placed.set(t, out);
    return out;
  };
  const walk = (value: unknown, key: string): unknown => {
    if (value instanceof torch.Tensor) return place(value, key);
    if (value === null || typeof value !== 'object') return value;
    const proto = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
    const fields = value as Record<string, unknown>;
    for (const k of Object.keys(fields)) fields[k] = walk(fields[k], key === '' ? k : `${key}.${k}`);
    return value;
  };
  return walk(checkpoint, '');
}
