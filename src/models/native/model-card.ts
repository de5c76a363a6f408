// Renders model-card.md: what the model is for, how it was trained, how well it did, and its limits.

import type { ModelManifest } from "./model-directory.js";

export function renderModelCard(manifest: ModelManifest, weightsBytes: number): string {
  const validation = manifest.validation;
  const figure = (key: string): string => {
    const value = validation[key];
    return typeof value === "number" ? value.toFixed(4) : "n/a";
  };
  const hyperparameters = Object.entries(manifest.hyperparameters)
    .map(([key, value]) => `| ${key} | \`${JSON.stringify(value)}\` |`)
    .join("\n");
  return `# Model card: slmkit native classifier

- Task: ${manifest.task}, ${manifest.labels.length} labels
- Created: ${manifest.createdAt}; seed ${manifest.seed}; training data sha256 \`${manifest.dataHash}\`
- Weights: ${(weightsBytes / 1e6).toFixed(2)} MB, ${manifest.precision}
- Architecture: hashed word and character n-grams → sublinear TF-IDF (word and character groups each
  L2-normalized) → one full-rank linear softmax layer trained by SGD with early stopping; confidence
  calibrated by temperature scaling on validation data.

## Validation
| metric | value |
|---|---|
| accuracy | ${figure("accuracy")} |
| ECE (15 bins) | ${figure("ece")} |
| threshold for ${manifest.calibration.targetAccuracy} accepted accuracy | ${manifest.calibration.threshold.toFixed(4)} |
| coverage at that threshold | ${figure("coverage")} |
| accepted accuracy at that threshold | ${figure("acceptedAccuracy")} |
| temperature | ${manifest.calibration.temperature.toFixed(4)} |

## Hyperparameters
| name | value |
|---|---|
${hyperparameters}

## Labels
${manifest.labels.map((label) => `- ${label}`).join("\n")}

## Intended use and limits
- Narrow-domain text classification of inputs like the training data. Inputs far from it (new
  phrasing, new intents, other languages) get low confidence and should be escalated, not trusted.
- The threshold was chosen on validation data; check accepted accuracy on your own test set with
  \`slmkit eval\` before relying on it, and monitor it in production.
- A bag of n-grams does not understand negation scope or long-range reasoning.
`;
}
