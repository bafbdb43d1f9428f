// Anomaly detection (torch.autograd.set_detect_anomaly / detect_anomaly). libtorch's engine does
// the checks: with NaN checking on, a backward node that returns NaN fails the backward with
// "Function 'XBackward0' returned nan values in its 0th output.". The mode is process-wide, as
// in PyTorch.
import { native } from '../../binding.js';
import { describe } from '../marshal.js';

export interface AnomalyOptions {
  /** Whether backward outputs are checked for NaN (default true). */
  checkNan?: boolean;
}

function checkNanOf(options: AnomalyOptions | undefined, name: string): boolean {
  const checkNan = options?.checkNan ?? true;
  if (typeof checkNan !== 'boolean')
    throw new TypeError(`${name}: checkNan must be a boolean, got ${describe(checkNan)}`);
  return checkNan;
}

/** Turns anomaly detection on or off (PyTorch's `torch.autograd.set_detect_anomaly(mode, check_nan)`). */
export function setDetectAnomaly(mode: boolean, options?: AnomalyOptions): void {
  if (typeof mode !== 'boolean') throw new TypeError(`setDetectAnomaly: mode must be a boolean, got ${describe(mode)}`);
  native.setDetectAnomaly(mode, checkNanOf(options, 'setDetectAnomaly'));
}

export function isAnomalyEnabled(): boolean {
  return native.anomalyMode()[0];
}

export function isAnomalyCheckNanEnabled(): boolean {
  return native.anomalyMode()[1];
}

/** Runs `fn` with anomaly detection on, like `with torch.autograd.detect_anomaly():`; restores the previous mode after. */
export function detectAnomaly<T>(fn: () => T, options?: AnomalyOptions): T {
  if (typeof fn !== 'function') throw new TypeError(`detectAnomaly: expected a function, got ${describe(fn)}`);
  const checkNan = checkNanOf(options, 'detectAnomaly');
  const [enabled, previousCheckNan] = native.anomalyMode();
  native.setDetectAnomaly(true, checkNan);
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError('detectAnomaly: fn must be synchronous (the mode would stay on across awaits)');
    }
    return result;
  } finally {
    native.setDetectAnomaly(enabled, previousCheckNan);
  }
}
