export { type AutocastOptions, autocast, isAutocastEnabled } from './autocast.js';
export { GradScaler, type GradScalerOptions, type GradScalerState, type ScalableOptimizer } from './grad_scaler.js';
