// The use-case spec: the usecase.yaml schema, its loader and the catalog of built-in templates.

export { getTemplate, listTemplates } from "./catalog/index.js";
export { generateSupportData, supportTemplate } from "./catalog/support.js";
export type { GenerateOptions, TemplateSummary, UseCaseTemplate } from "./catalog/template.js";
export type {
  WriteTemplateOptions,
  WrittenFile,
  WrittenFileRole,
  WrittenTemplate,
} from "./catalog/write-template.js";
export { writeTemplate } from "./catalog/write-template.js";
export type { LoadedUseCase, StringifyUseCaseOptions, UseCasePaths } from "./load.js";
export { loadUseCase, parseUseCase, resolveUseCasePaths, stringifyUseCase } from "./load.js";
export type {
  DeploymentKind,
  FallbackKind,
  FieldType,
  UseCase,
  UseCaseField,
  UseCaseInput,
  UseCaseLabel,
} from "./schema.js";
export {
  deploymentKinds,
  fallbackKinds,
  fieldTypes,
  knownIndustries,
  taskTypes,
  useCaseDefaults,
  useCaseSchema,
} from "./schema.js";
export type { UseCaseProblem } from "./validate.js";
export { InvalidUseCaseError, validateUseCase } from "./validate.js";
