// ClsDataPreprocessor: ImgDataPreprocessor for image classification batches in any of the
// shapes a DataLoader gives: `{img, label}` (a dict dataset), `[imgs, labels]` (a tuple
// dataset) or `{inputs, dataSamples}`. It converts the batch to `{inputs, dataSamples}` first:
// the documented place for such type conversion is the preprocessor's forward, before the
// parent's (cast to the device, flip, float, normalise, pad, batch augments).
import * as torch from '../../torch/index.js';
import { ImgDataPreprocessor } from './data_preprocessor.js';

type Tensor = torch.Tensor;

export function toInputsAndSamples(data: unknown): { inputs: unknown; dataSamples: unknown } {
  if (Array.isArray(data)) {
    if (data.length !== 2)
      throw new TypeError(`ClsDataPreprocessor: a tuple batch must be [imgs, labels], got ${data.length} elements`);
    return { inputs: data[0], dataSamples: data[1] };
  }
  if (data && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    if ('inputs' in d) return { inputs: d.inputs, dataSamples: d.dataSamples ?? null };
    if ('img' in d) return { inputs: d.img, dataSamples: d.label ?? null };
  }
  throw new TypeError('ClsDataPreprocessor: expected {img, label}, [imgs, labels] or {inputs, dataSamples}');
}

export class ClsDataPreprocessor extends ImgDataPreprocessor {
  override forward(data: unknown, training = false): Record<string, unknown> {
    const out = super.forward(toInputsAndSamples(data), training);
    const labels = out.dataSamples;
    if (labels instanceof torch.Tensor && !labels.dtype.startsWith('float') && labels.dtype !== 'bfloat16') {
      out.dataSamples = (labels as Tensor).long();
    }
    return out;
  }
}
