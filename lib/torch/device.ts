// Devices are strings: 'cpu', 'cuda', 'cuda:1'.
export type Device = 'cpu' | 'cuda' | `cuda:${number}` | (string & {});

export const cpu: Device = 'cpu';
