// Checkpoints: PyTorch's own zip + pickle format (`save`, `load`) and safetensors
// (`saveSafetensors`, `loadSafetensors`). See pt.ts and safetensors.ts for the formats and
// for how JavaScript values map to Python's.

export type { MapLocation } from './map_location.js';
export { type LoadOptions, load, save } from './pt.js';
export { type LoadSafetensorsOptions, loadSafetensors, saveSafetensors } from './safetensors.js';
