// TupleImgDataPreprocessor: ImgDataPreprocessor for a model whose forward takes
// `(imgs, labels, mode)`, fed by a tuple dataset (`format: 'tuple'`, whose batches collate to
// `[imgs, labels]`).
//
// The documented place for type conversion is the preprocessor's forward: this one converts
// the tuple batch to `{inputs: imgs, dataSamples: labels}`, runs the parent's image pipeline
// on it (cast to the device, channel flip, float, normalise, pad, and batch augments in
// training) and converts the result back to `[inputs, dataSamples]`. BaseModel spreads an
// array batch into forward's positional arguments, so neither the DataLoader nor the model's
// interface changes:
//
//   class MMResNet50 extends BaseModel {
//     forward(imgs: Tensor, labels: Tensor, mode: ForwardMode) { ... }
//   }
//   new MMResNet50({ dataPreprocessor: new TupleImgDataPreprocessor({ mean, std }) });
//
// (ClsDataPreprocessor is the other direction: it turns a tuple batch into the object
// `{inputs, dataSamples}` for a model whose forward takes one batch object.)
import { ImgDataPreprocessor } from './data_preprocessor.js';

export class TupleImgDataPreprocessor extends ImgDataPreprocessor {
  /** `[imgs, labels]` (labels may be absent or null) to `[inputs, dataSamples]`. */
  // @ts-expect-error: the parent returns an object; this subclass returns the tuple form.
  override forward(data: unknown, training = false): [unknown, unknown] {
    if (!Array.isArray(data) || data.length < 1 || data.length > 2) {
      const got = Array.isArray(data) ? `an array of ${data.length} elements` : data === null ? 'null' : typeof data;
      throw new TypeError(`TupleImgDataPreprocessor expects a tuple batch [imgs, labels]; got ${got}`);
    }
    const out = super.forward({ inputs: data[0], dataSamples: data[1] ?? null }, training);
    return [out.inputs, out.dataSamples];
  }
}
