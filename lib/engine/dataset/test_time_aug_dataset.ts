// A dataset whose samples go through a TestTimeAug (test_time_aug.ts): MMEngine's TTA pipeline,
// the dataset's own transforms first, TestTimeAug last. Each sample's fields are lists over the
// augmentations; a DataLoader (either collate, any numWorkers) gives batches whose fields are
// lists over the augmentations, what BaseTTAModel.testStep takes.
//
//   const testSet = new TestTimeAugDataset(new CIFAR10({root, split: 'test'}), {
//     transforms: [[{type: 'RandomFlip', prob: 1}, {type: 'RandomFlip', prob: 0}]],
//   });
import { tensorize } from './collate.js';
import { Dataset, type MapDataset, type SampleContext, type WorkerSpec } from './dataset.js';
import {
  RawTestTimeAugDataset,
  type TestTimeAug,
  type TestTimeAugOptions,
  type TestTimeAugSpec,
} from './test_time_aug.js';

const TTA_MODULE = new URL('./test_time_aug.js', import.meta.url).href;

export class TestTimeAugDataset extends Dataset {
  readonly dataset: MapDataset;
  readonly tta: TestTimeAug;
  private readonly raw: RawTestTimeAugDataset;

  /** `dataset` must have getRaw() (NDArray images), as the image datasets do. */
  constructor(dataset: MapDataset, tta: TestTimeAug | TestTimeAugOptions | TestTimeAugSpec) {
    super();
    this.raw = new RawTestTimeAugDataset(dataset, tta);
    this.dataset = dataset;
    this.tta = this.raw.tta;
  }

  get length(): number {
    return this.dataset.length;
  }

  /** The wrapped dataset's (its class names, for the metrics). */
  get metainfo(): unknown {
    return (this.dataset as { metainfo?: unknown }).metainfo;
  }

  /** Sample `index` with tensors, each field a list over the augmentations. */
  get(index: number, ctx?: SampleContext): unknown {
    return tensorize(this.getRaw(index, ctx), true);
  }

  /** Sample `index` with NDArrays (what data workers make). */
  getRaw(index: number, ctx?: SampleContext): unknown {
    return this.raw.getRaw(this.checkIndex(index), ctx);
  }

  workerSpec(): WorkerSpec {
    if (typeof this.dataset.workerSpec !== 'function') {
      throw new TypeError(
        'TestTimeAugDataset: the wrapped dataset has no workerSpec(), so it cannot be built in a data worker',
      );
    }
    return {
      module: TTA_MODULE,
      exportName: 'buildRawTestTimeAugDataset',
      call: true,
      args: [this.dataset.workerSpec(), this.tta.toJSON()],
    };
  }
}
