// Data loading for the engine: datasets, samplers, collate functions, transforms, DataLoader.
export { defaultCollate, ndarrayToTensor, pseudoCollate, tensorize } from './collate.js';
export { type CollateFn, DataLoader, type DataLoaderOptions, DataLoaderWorkerError } from './dataloader.js';
export { Dataset, type MapDataset, type SampleContext, Subset, sampleContext, type WorkerSpec } from './dataset.js';
export {
  type CatIdsDataset,
  ClassBalancedDataset,
  ConcatDataset,
  classBalancedRepeatFactors,
  RepeatDataset,
} from './dataset_wrappers.js';
export { DistributedSampler, type DistributedSamplerOptions } from './distributed_sampler.js';
export { readCifar10, readIdx } from './idx.js';
export {
  CIFAR10,
  type Cifar10Options,
  FASHION_MNIST_ROOT,
  FashionMNIST,
  ImageDataset,
  type ImageDatasetOptions,
  ImageFolder,
  type ImageFolderOptions,
  MNIST,
  type MnistOptions,
  SyntheticImageDataset,
  type SyntheticImageDatasetOptions,
} from './image_datasets.js';
export { InfiniteSampler, type InfiniteSamplerOptions } from './infinite_sampler.js';
export { decodeJpeg, isJpeg } from './jpeg.js';
export { isNDArray, NDArray, type NDType, type TypedArray } from './ndarray.js';
export { NDArrayDataset } from './ndarray_dataset.js';
export { type DecodedImage, decodePng, toCHW } from './png.js';
export { Random, seedFor } from './random.js';
export { type RandomSplitOptions, randomSplit } from './random_split.js';
export { type ImageSource, RawImageDataset, type SampleFormat } from './raw_image_dataset.js';
export { type Interpolation, type ResizeImageOptions, resizeImage } from './resize.js';
export {
  CenterCrop,
  RandomResizedCrop,
  type RandomResizedCropOptions,
  Resize,
  ResizeEdge,
  type ResizeEdgeOptions,
  type ResizeOptions,
  type ResizeSpec,
} from './resize_transforms.js';
export {
  BatchSampler,
  DefaultSampler,
  RandomSampler,
  type RandomSamplerOptions,
  type Sampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from './sampler.js';
export { SYNTHETIC_CLASSES, type SyntheticOptions } from './synthetic.js';
export { TensorDataset } from './tensor_dataset.js';
export {
  TestTimeAug,
  type TestTimeAugChoice,
  type TestTimeAugOptions,
  type TestTimeAugSpec,
} from './test_time_aug.js';
export { TestTimeAugDataset } from './test_time_aug_dataset.js';
export {
  buildTransform,
  Compose,
  type PaddingMode,
  RandomCrop,
  type RandomCropOptions,
  RandomFlip,
  type RandomFlipOptions,
  type RandomSource,
  type Transform,
  type TransformSpec,
} from './transforms.js';
