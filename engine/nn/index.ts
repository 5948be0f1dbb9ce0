/** The `nn` namespace, laid out like torch.nn. */
export { Module, Parameter } from "./module";
export type { ForwardHook, ZeroGradOptions } from "./module";
export * from "./layers";
export * as functional from "./functional";
export * as init from "./init";
export * as utils from "./utils";
