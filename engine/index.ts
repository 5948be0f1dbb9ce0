/**
 * gradlens — a TypeScript autograd engine with PyTorch semantics.
 *   import { tensor, randn, nn, optim, noGrad } from "gradlens";
 * This entry point never loads anything from `vscode` and uses no Node-only API.
 */
export { Tensor } from "./tensor";
export type { NestedArray, TensorLike } from "./tensor";
export type { DType } from "./dtype";
export {
  tensor, zeros, ones, full, rand, randn, randint, randperm, arange, linspace, eye,
  zerosLike, onesLike, randnLike, randLike, fullLike,
} from "./creation";
export type { TensorOptions } from "./creation";
export { manualSeed } from "./random";
export { kernelMemoryBytes, kernelMode, setKernelMemoryLimit, setKernelMode } from "./wasm/module";
export { kernelThreads, kernelWorkerStats, setKernelThreads } from "./wasm/threads";
export type { KernelWorker, SpawnWorker } from "./wasm/threads";
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./autograd/gradMode";
export { cat, stack } from "./ops/shape";
export { matmul } from "./ops/linalg";
export { where, maskedFill } from "./ops/conditional";
export { bmm, outer, einsum } from "./ops/products";
export { cumsum, sort, topk } from "./ops/ordering";
export { flip, roll, repeat, tril, triu, split, chunk } from "./ops/rearrange";
export { logsumexp, variance as var, std, any, all } from "./ops/reduce";
export type { ValuesIndices, VarianceOptions } from "./ops/reduce";
export { DIFFERENTIABLE_OPS } from "./ops/record";
export { probe, setProbeSink } from "./probe";
export type { ProbeSink } from "./probe";
export { TensorDataset, DataLoader, defaultCollate } from "./data";
export type { Dataset, DataLoaderOptions, Collate } from "./data";
export { saveSafetensors, loadSafetensors, readSafetensors } from "./safetensors";
export type { SafetensorsContents } from "./safetensors";
export * as nn from "./nn/index";
export * as optim from "./optim/index";
