// Where torch.load puts each storage: PyTorch's map_location. A file records, per storage, the
// location it was saved from ('cpu', 'cuda:0', ...). Without mapLocation a storage goes back
// there, which must exist here; mapLocation may send every storage to one device, rename some
// locations (a record), or decide per location (a function).

import { isPlainObject } from '../../plain_object.js';
import { deviceCount, isAvailable } from '../cuda.js';
import type { Device } from '../device.js';

/**
 * torch.load's `map_location`: a device ('cpu', 'cuda:1') for every storage; a record from
 * recorded locations to devices (`{'cuda:1': 'cuda:0'}`), where a location it does not list
 * stays where it was recorded; or a function of the recorded location, returning the device or
 * `undefined` for the recorded location. PyTorch's callable takes `(storage, location)` and
 * returns a storage; here it takes the location alone and returns a device, since storages
 * are not objects of their own in torch-node.
 */
export type MapLocation = Device | Readonly<Record<string, Device>> | ((location: string) => Device | undefined | null);

/** Backends PyTorch restores through torch.<backend>; only CUDA exists in torch-node. */
const OTHER_ACCELERATORS = ['xpu', 'hpu', 'mtia', 'mps', 'privateuseone'];

const showValue = (v: unknown): string =>
  typeof v === 'string' ? `'${v}'` : typeof v === 'function' ? 'a function' : String(v);

/** Checks mapLocation's kind up front, so that a bad one is a TypeError before the file is read. */
export function checkMapLocation(mapLocation: unknown, what: string): MapLocation | undefined {
  if (mapLocation === undefined || mapLocation === null) return undefined;
  if (typeof mapLocation === 'string' || typeof mapLocation === 'function') return mapLocation as MapLocation;
  if (isPlainObject(mapLocation)) {
    for (const [from, to] of Object.entries(mapLocation)) {
      if (typeof to !== 'string') {
        throw new TypeError(`${what}: mapLocation['${from}'] must be a device string, got ${showValue(to)}`);
      }
    }
    return mapLocation as MapLocation;
  }
  throw new TypeError(
    `${what}: mapLocation must be a device string ('cpu', 'cuda:1'), a record of locations ({'cuda:1': 'cuda:0'}) ` +
      `or a function (location) => device, got ${showValue(mapLocation)}`,
  );
}

/** The device a storage recorded at `location` goes to, checked to exist here (as PyTorch checks). */
export function restoreLocation(location: string, mapLocation: MapLocation | undefined, what: string): Device {
  let device: unknown = location;
  if (typeof mapLocation === 'string') device = mapLocation;
  else if (typeof mapLocation === 'function') {
    device = mapLocation(location) ?? location;
    if (typeof device !== 'string') {
      throw new TypeError(
        `${what}: the mapLocation function must return a device string or undefined, got ${showValue(device)} for '${location}'`,
      );
    }
  } else if (mapLocation !== undefined && Object.hasOwn(mapLocation, location)) device = mapLocation[location];
  return checkRestorable(device as string, location, what);
}

function checkRestorable(device: string, recorded: string, what: string): Device {
  const from =
    device === recorded ? `recorded location '${recorded}'` : `location '${device}' (mapped from '${recorded}')`;
  if (device === 'cpu' || device === 'meta') return device;
  const m = /^([a-z]+)(?::(\d+))?$/.exec(device);
  const backend = m?.[1] ?? '';
  if (backend === 'cuda') {
    if (!isAvailable()) {
      throw new Error(
        `${what}: a storage's ${from} is a CUDA device. Attempting to deserialize object on a CUDA device but ` +
          'torch.cuda.is_available() is False. If you are running on a CPU-only machine, please use torch.load ' +
          "with map_location=torch.device('cpu') to map your storages to the CPU.",
      );
    }
    const index = m?.[2] === undefined ? 0 : Number(m[2]);
    const count = deviceCount();
    if (index >= count) {
      throw new Error(
        `${what}: a storage's ${from} is beyond this machine's CUDA devices. Attempting to deserialize object on ` +
          `CUDA device ${index} but torch.cuda.device_count() is ${count}. Please use torch.load with map_location ` +
          'to map your storages to an existing device.',
      );
    }
    return device;
  }
  if (OTHER_ACCELERATORS.includes(backend)) {
    throw new Error(
      `${what}: a storage's ${from} is a ${backend.toUpperCase()} device, which torch-node does not support; ` +
        "use mapLocation (e.g. 'cpu') to map your storages to an existing device.",
    );
  }
  throw new Error(`${what}: don't know how to restore data location of a storage tagged with '${device}' (${from})`);
}
