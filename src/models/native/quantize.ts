// int8 quantization of the native classifier: one scale per feature row, about 4× smaller on disk.

import { NativeClassifier } from "./classifier.js";
import { decodeWeights, encodeWeights } from "./weights-file.js";

/**
 * Returns the classifier as it will behave once saved in int8: the weights are quantized and dequantized,
 * so accuracy and calibration can be measured before writing anything.
 */
export function quantizeClassifier(model: NativeClassifier): NativeClassifier {
  const bytes = encodeWeights(model.vocabulary, model.weights, "int8");
  const { vocabulary, model: weights } = decodeWeights(bytes, "(in memory)", model.vocabulary.config);
  return new NativeClassifier({ ...model.parts(), vocabulary, weights });
}
