// Visualization: scalars to scalars.json and TensorBoard event files, and PNG curve plots.

export {
  collectSeries,
  type PanelLayout,
  type PlotOptions,
  parseScalarsLine,
  plotScalars,
  readScalars,
  renderScalarsPlot,
  type ScalarSeries,
} from './plot.js';
export { Canvas, encodePng } from './png.js';
export { crc32c, EventFileWriter, encodeEvent, maskedCrc32c } from './tfevents.js';
export {
  BaseVisBackend,
  LocalVisBackend,
  type LocalVisBackendOptions,
  type ScalarDict,
  TensorboardVisBackend,
} from './vis_backend.js';
export { type VisBackendConfig, Visualizer, type VisualizerOptions } from './visualizer.js';
