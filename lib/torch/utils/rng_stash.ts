// The random state a checkpoint's recomputation replays, as PyTorch's checkpoint stashes it: the
// CPU's, and that of each CUDA device that a tensor among the inputs is on (get_device_states).
import * as cudaRandom from '../cuda_random.js';
import { keep } from '../lifetime.js';
import { getRngState, setRngState } from '../random.js';
import { Tensor } from '../tensor.js';

export class RngStash {
  private constructor(
    private readonly cpu: Tensor,
    private readonly devices: [string, Tensor][],
  ) {}

  /** The states now: the CPU's and those of the CUDA devices of the tensors among `args`. */
  static take(args: readonly unknown[]): RngStash {
    const devices = new Set<string>();
    for (const a of args) if (a instanceof Tensor && a.device.startsWith('cuda')) devices.add(a.device);
    return RngStash.of([...devices]);
  }

  private static of(devices: readonly string[]): RngStash {
    return new RngStash(
      keep(getRngState()),
      devices.map((d) => [d, keep(cudaRandom.getRngState(d))]),
    );
  }

  /** Runs `fn` from the stashed states, and puts the states around the call back after it. */
  replay<T>(fn: () => T): T {
    const surrounding = RngStash.of(this.devices.map(([d]) => d));
    try {
      this.restore();
      return fn();
    } finally {
      surrounding.restore();
      surrounding.dispose();
    }
  }

  private restore(): void {
    setRngState(this.cpu);
    for (const [d, s] of this.devices) cudaRandom.setRngState(s, d);
  }

  dispose(): void {
    this.cpu.dispose();
    for (const [, s] of this.devices) s.dispose();
  }
}
