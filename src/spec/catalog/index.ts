// The registry of built-in use-case templates, the starting points of `slmkit init`, `catalog` and `demo`.

import { SlmkitError } from "../../errors.js";
import { supportTemplate } from "./support.js";
import type { TemplateSummary, UseCaseTemplate } from "./template.js";

const templates: readonly UseCaseTemplate[] = [supportTemplate];

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
