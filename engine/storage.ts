/** Tensor storage: the typed array that views share, with its version counter. */
import type { Data } from "./dtype";

/** Storage shared between a tensor and its views/detached copies; carries the version counter. */
export interface Storage {
  data: Data;
  version: number;
  lastInplaceOp: string | null;
  /**
   * Set when a storage-sharing view (view, reshape, squeeze, …) of a tensor in the graph was
   * taken: an in-place write to either would change both tensors' values but only one's history.
   */
  sharedBy?: string;
  /** Set when a copying view (transpose, select, …) of a tensor in the graph was taken from it. */
  copiedBy?: string;
  /** Creation order: backward tells a gradient it just made (and may hand over) from older ones. */
  readonly serial: number;
}

let storagesMade = 0;
/** How many storages exist so far; any storage made later has a serial at least this. */
export function storageCount(): number {
  return storagesMade;
}

export function newStorage(data: Data): Storage {
  return { data, version: 0, lastInplaceOp: null, serial: storagesMade++ };
}
