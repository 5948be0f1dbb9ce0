/** The `nn` namespace, laid out like torch.nn. */
export { Module, Parameter } from "./module";
export type { ForwardHook, ZeroGradOptions } from "./module";
export * from "./layers";
export { Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from "./convolution";
export type { ConvLayerOptions, PoolOptions, AvgPoolOptions } from "./convolution";
export { LayerNorm, BatchNorm1d, BatchNorm2d } from "./normalization";
export type { LayerNormOptions, BatchNormOptions } from "./normalization";
export { RNN, LSTM, GRU } from "./recurrent";
export type { RNNOptions } from "./recurrent";
export { MultiheadAttention, causalMask } from "./attention";
export type { MultiheadAttentionOptions, MultiheadForwardOptions } from "./attention";
export * as functional from "./functional";
export * as init from "./init";
export * as utils from "./utils";
