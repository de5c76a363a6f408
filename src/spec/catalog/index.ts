// The registry of built-in use-case templates, the starting points of `slmkit init`, `catalog` and `demo`.

import { SlmkitError } from "../../errors.js";
import {
  appointmentSchedulingTemplate,
  inventoryLookupTemplate,
  partsIdentificationTemplate,
  prescriptionRefillsTemplate,
  priceComparisonTemplate,
} from "./extract-templates.js";
import {
  offlineDiagnosticsTemplate,
  technicianAssistantTemplate,
  workOrdersTemplate,
} from "./field-services.js";
import {
  bankCustomerServiceTemplate,
  documentClassificationTemplate,
  fraudFlagTemplate,
  transactionCategorizationTemplate,
} from "./financial-services.js";
import { icd10CodingTemplate, symptomTriageTemplate } from "./healthcare.js";
import {
  inventoryQueriesTemplate,
  maintenanceLoggingTemplate,
  qualityInspectionTemplate,
  safetyComplianceTemplate,
} from "./manufacturing.js";
import { productCategorizationTemplate, retailFaqTemplate } from "./retail.js";
import { supportTemplate } from "./support.js";
import type { TemplateSummary, UseCaseTemplate } from "./template.js";

// The demo's support template first, then the brief's 20 use cases by industry in the brief's order.
const templates: readonly UseCaseTemplate[] = [
  supportTemplate,
  qualityInspectionTemplate,
  maintenanceLoggingTemplate,
  inventoryQueriesTemplate,
  safetyComplianceTemplate,
  productCategorizationTemplate,
  retailFaqTemplate,
  inventoryLookupTemplate,
  priceComparisonTemplate,
  icd10CodingTemplate,
  appointmentSchedulingTemplate,
  prescriptionRefillsTemplate,
  symptomTriageTemplate,
  transactionCategorizationTemplate,
  fraudFlagTemplate,
  bankCustomerServiceTemplate,
  documentClassificationTemplate,
  workOrdersTemplate,
  partsIdentificationTemplate,
  technicianAssistantTemplate,
  offlineDiagnosticsTemplate,
];

/** Every built-in template, in catalog order. */
export function listTemplates(): TemplateSummary[] {
  return templates.map((template) => ({
    id: template.id,
    title: template.spec.title,
    industry: template.spec.industry,
    task: template.spec.task,
    summary: template.summary,
    classes: template.spec.labels?.length ?? template.spec.schema?.fields.length ?? 0,
  }));
}

/** The built-in template `id`; an unknown id is an `INVALID_OPTION` error that lists the ids that exist. */
export function getTemplate(id: string): UseCaseTemplate {
  const template = templates.find((candidate) => candidate.id === id);
  if (template !== undefined) return template;
  const known = templates.map((candidate) => candidate.id).join(", ");
  throw new SlmkitError(
    "INVALID_OPTION",
    `unknown template "${id}"; built-in templates: ${known}. Run \`slmkit catalog\` to see what each one does.`,
    { field: "template" },
  );
}
