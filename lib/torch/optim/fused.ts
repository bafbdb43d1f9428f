// fused=true in Adam, AdamW, SGD and Adagrad: the checks PyTorch makes before it hands a group to
// libtorch's fused kernels (torch._fused_adam_ and kin), and the per-device split those kernels
// need. The update arithmetic itself is the kernels': one native call per device and dtype updates
// the params and all their state, so its numbers are PyTorch's fused=True numbers, which differ in
// the last bits from the foreach and single-tensor paths (the kernel keeps intermediates in
// registers and orders the operations its own way).
import { _foreachSub_ } from '../../generated/functions.js';
import type { Tensor } from '../tensor.js';
import { groupByDeviceAndDtype } from './optimizer.js';

/** PyTorch's _get_fused_kernels_supported_devices(): the device types with fused optimizer kernels. */
export const FUSED_DEVICE_TYPES: readonly string[] = ['mps', 'cuda', 'xpu', 'hpu', 'cpu', 'mtia', 'privateuseone'];

/**
 * The constructor checks of PyTorch's fused optimizers (fused with differentiable, fused with
 * foreach), made here for the defaults and for every added group, since a group may set its own
 * flags. Runs before checkFlags so that fused+differentiable gets the fused message.
 */
export function checkFusedOptions(name: string, options: Record<string, unknown>): void {
  if (options.fused !== true) return;
  if (options.differentiable === true) throw new Error(`${name}: \`fused\` does not support \`differentiable\``);
  if (options.foreach === true) throw new Error(`${name}: \`fused\` and \`foreach\` cannot be true together`);
}

/**
 * PyTorch's _device_dtype_check_for_fused, for every parameter with a gradient (PyTorch checks
 * each new Adam state, and only the first parameter for SGD and Adagrad; checking them all costs
 * nothing and turns the kernel's own failure on a later parameter into this message).
 */
export function checkFusedParams(name: string, params: readonly Tensor[]): void {
  for (const p of params) {
    const type = p.device.split(':')[0] as string;
    if (!(FUSED_DEVICE_TYPES.includes(type) && p.isFloatingPoint())) {
      throw new Error(
        `${name}.step: fused=true requires all the params to be floating point Tensors of supported devices ` +
          `(${FUSED_DEVICE_TYPES.join(', ')}), but got ${p.dtype} on ${p.device}`,
      );
    }
  }
}

/**
 * What GradScaler.step hands a fused optimizer instead of unscaling its gradients (PyTorch's
 * `optimizer.grad_scale` and `optimizer.found_inf`): the kernel divides the gradients by
 * gradScale and leaves everything untouched where foundInf is nonzero.
 */
export interface AmpScaling {
  gradScale: Tensor | null;
  foundInf: Tensor | null;
}

/** One device and dtype's share of a fused update: the parameters' indices, and the amp tensors on that device. */
export interface FusedPart {
  indices: number[];
  gradScale: Tensor | null;
  foundInf: Tensor | null;
}

/**
 * Runs `kernel` once per device and dtype of `params` (in order of first appearance, as PyTorch's
 * _group_tensors_by_device_and_dtype), with gradScale and foundInf moved to that device once.
 */
export function forEachFusedPart(params: readonly Tensor[], amp: AmpScaling, kernel: (part: FusedPart) => void): void {
  const onDevice = new Map<string, { gradScale: Tensor | null; foundInf: Tensor | null }>();
  for (const group of groupByDeviceAndDtype(params)) {
    let moved = onDevice.get(group.device);
    if (!moved) {
      moved = {
        gradScale:
          amp.gradScale && amp.gradScale.device !== group.device ? amp.gradScale.to(group.device) : amp.gradScale,
        foundInf: amp.foundInf && amp.foundInf.device !== group.device ? amp.foundInf.to(group.device) : amp.foundInf,
      };
      onDevice.set(group.device, moved);
    }
    kernel({ indices: group.indices, ...moved });
  }
}

/**
 * After a kernel that counts steps (Adam, Adagrad): a skipped step (foundInf = 1) must not count,
 * so PyTorch takes foundInf back off the steps it has just incremented.
 */
export function uncountSkippedStep(steps: Tensor[], foundInf: Tensor | null): void {
  if (foundInf !== null) {
    _foreachSub_(
      steps,
      steps.map(() => foundInf),
    );
  }
}
