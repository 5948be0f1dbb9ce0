/** The `optim` namespace, laid out like torch.optim. */
export { Optimizer } from "./optimizer";
export type { ParamGroup, ParamGroupInput, Params, OptimizerStateDict } from "./optimizer";
export { SGD } from "./sgd";
export type { SGDOptions } from "./sgd";
export { Adam, AdamW } from "./adam";
export type { AdamOptions } from "./adam";
export { RMSprop, Adagrad } from "./rmsprop";
export type { RMSpropOptions, AdagradOptions } from "./rmsprop";
export * as lrScheduler from "./lrScheduler";
