// TupleToDictPreprocessor: names the fields of a tuple batch before the model sees it.
//
//   new TupleToDictPreprocessor({ keys: ['inputs', 'labels'], preprocessor: new ImgDataPreprocessor({...}) })
//
// A DataLoader over a dataset of [img, label] samples yields [imgs, labels]; this turns it into
// {inputs: imgs, labels: labels} and hands that to `preprocessor` (which moves, converts and
// normalises `inputs` and passes `labels` through), so neither the DataLoader nor the model's
// forward(batch, mode) has to change. Without a preprocessor the dict is only moved to the
// device. Object batches pass straight to the preprocessor.
import type * as torch from '../../torch/index.js';
import { BaseDataPreprocessor } from './data_preprocessor.js';

export class TupleToDictPreprocessor extends BaseDataPreprocessor {
  readonly keys: string[];
  /** The preprocessor the named batch goes through (a registered child, so it moves with the model). */
  preprocessor: torch.nn.Module | null;

  constructor(options: { keys: string[]; preprocessor?: torch.nn.Module | null; nonBlocking?: boolean }) {
    super(options);
    if (
      !Array.isArray(options?.keys) ||
      options.keys.length === 0 ||
      !options.keys.every((k) => typeof k === 'string')
    ) {
      throw new TypeError('TupleToDictPreprocessor: `keys` must be a non-empty array of field names');
    }
    this.keys = [...options.keys];
    this.preprocessor = options.preprocessor ?? null;
  }

  toDict(data: unknown): unknown {
    if (!Array.isArray(data)) return data;
    if (data.length !== this.keys.length) {
      throw new TypeError(
        `TupleToDictPreprocessor: the batch has ${data.length} fields but keys names ${this.keys.length} (${this.keys.join(', ')})`,
      );
    }
    return Object.fromEntries(this.keys.map((k, i) => [k, data[i]]));
  }

  override forward(data: unknown, training = false): unknown {
    const named = this.toDict(data);
    if (!this.preprocessor) return this.castData(named);
    return (this.preprocessor.forward as (d: unknown, t: boolean) => unknown).call(this.preprocessor, named, training);
  }
}
